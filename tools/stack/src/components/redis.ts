import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { processComponent, type Component } from '../component.ts';
import { endpoints } from '../endpoints.ts';
import { StackError } from '../errors.ts';
import { dirs } from '../paths.ts';
import { hasCommand, run } from '../proc.ts';

const PORT = 6379;

/** Answers true when Redis replies +PONG to a PING. */
function pong(timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port: PORT, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

function findServer(): string | undefined {
  if (!hasCommand('redis-server')) return undefined;
  return spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
}

/**
 * Redis from Debian's packages, for the benchmark's BullMQ peer only: `npm start`, `npm test` and
 * `up infra` leave it alone (kind `extra`); `up redis` starts it. Append-only file with an fsync a
 * second, the setting closest to Kafka's own durability (acknowledged, flushed by the OS later).
 */
export function redisComponent(): Component {
  let binary = '';
  return processComponent({
    name: 'redis',
    kind: 'extra',
    ports: [PORT],
    urls: { Redis: endpoints.redisUrl },
    readyTimeoutMs: 30_000,
    async prepare() {
      binary = findServer() ?? '';
      if (!binary && process.getuid?.() === 0 && hasCommand('apt-get')) {
        process.stdout.write('redis: installing Redis from Debian packages (apt-get install redis-server)\n');
        run('apt-get update', 'apt-get', ['update', '-qq'], { quiet: true });
        run('apt-get install redis-server', 'apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], {
          quiet: true,
          env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        });
        // Debian's package may start a server of its own on 6379; the stack runs its own instead.
        spawnSync('sh', ['-c', 'service redis-server stop 2>/dev/null; true']);
        binary = findServer() ?? '';
      }
      if (!binary) throw new StackError('redis-server not found: install it (apt-get install redis-server)');
    },
    launch() {
      const data = path.join(dirs.data, 'redis');
      fs.mkdirSync(data, { recursive: true });
      return {
        command: binary,
        args: [
          '--bind', '127.0.0.1',
          '--port', String(PORT),
          '--dir', data,
          '--save', '',
          '--appendonly', 'yes',
          '--appendfsync', 'everysec',
          // BullMQ requires that Redis never evicts its keys.
          '--maxmemory-policy', 'noeviction',
          '--daemonize', 'no',
        ],
      };
    },
    ready: () => pong(),
  });
}
