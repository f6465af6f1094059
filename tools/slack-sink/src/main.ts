import type { AddressInfo } from 'node:net';
import { createSlackSink } from './app';
import { env } from './env';

/** Longest wait for in-flight requests (a slow fault, say) before shutdown cuts them off. */
const SHUTDOWN_GRACE_MS = 5_000;

const { server } = createSlackSink();

server.on('error', (error) => {
  process.stderr.write(`slack-sink: cannot listen on ${env.HOST}:${env.PORT}: ${error.message}\n`);
  process.exit(1);
});

server.listen(env.PORT, env.HOST, () => {
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  process.stdout.write(`slack-sink listening on http://${host}:${port}\n`);
});

let stopping = false;
const shutdown = (signal: NodeJS.Signals): void => {
  if (stopping) process.exit(0);
  stopping = true;
  process.stdout.write(`slack-sink: ${signal}, shutting down\n`);
  setTimeout(() => {
    server.closeAllConnections();
    process.exit(0);
  }, SHUTDOWN_GRACE_MS).unref();
  server.close(() => process.exit(0));
  server.closeIdleConnections();
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
