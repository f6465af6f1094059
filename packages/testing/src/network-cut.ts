import net from 'node:net';

/**
 * A switch on a client's connections to a real server: while cut, new connections are refused
 * and open ones are reset, as when the server's host drops off the network. The server itself
 * keeps running for every other client, so one test can lose Kafka or PostgreSQL without
 * disturbing the tests beside it.
 */
export class NetworkCut {
  private down = false;
  private readonly sockets = new Set<net.Socket>();

  /** True while cut. */
  get isCut(): boolean {
    return this.down;
  }

  /** Resets every open connection and refuses new ones until restore(). */
  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy(refused());
    this.sockets.clear();
  }

  restore(): void {
    this.down = false;
  }

  /** A connection to host:port through this switch. */
  connect(host: string, port: number, onConnect?: () => void): net.Socket {
    if (this.down) {
      const socket = new net.Socket();
      setImmediate(() => socket.destroy(refused()));
      return socket;
    }
    const socket = net.connect({ host, port }, onConnect);
    this.track(socket);
    return socket;
  }

  /** A kafkajs `socketFactory` whose connections go through this switch (plain TCP). */
  readonly kafkaSocketFactory = ({ host, port, onConnect }: { host: string; port: number; onConnect: () => void }): net.Socket =>
    this.connect(host, port, onConnect);

  /**
   * A TCP proxy on 127.0.0.1 to host:port whose connections go through this switch: for a client
   * that takes an address, not a socket (node-postgres' pool). Returns its port and a close().
   */
  async proxy(host: string, port: number): Promise<{ port: number; close: () => Promise<void> }> {
    const server = net.createServer((downstream) => {
      if (this.down) return void downstream.destroy();
      this.track(downstream);
      const upstream = this.connect(host, port);
      downstream.pipe(upstream).pipe(downstream);
      downstream.on('error', () => upstream.destroy());
      upstream.on('error', () => downstream.destroy());
      downstream.on('close', () => upstream.destroy());
      upstream.on('close', () => downstream.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as net.AddressInfo;
    return {
      port: address.port,
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of this.sockets) socket.destroy();
          server.close(() => resolve());
        }),
    };
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED (network cut by the test)'), { code: 'ECONNREFUSED' });
}
