import fs from 'node:fs';
import path from 'node:path';
import { processComponent, type Component } from '../component.ts';
import { endpoints } from '../endpoints.ts';
import { dirs } from '../paths.ts';
import { portOpen } from '../proc.ts';
import { buildGoTool } from './go-tool.ts';

const PORT = 7233;

/**
 * Temporal's single-node dev server (`temporal server start-dev`), for the benchmark's Temporal
 * peer only (kind `extra`: `up temporal` starts it). Built once from the Go module pinned in
 * tools/infra/temporal (the CLI v1.5.1; later versions carry a `replace` directive that a module
 * build refuses). Its history lives in SQLite on disk in WAL mode, synchronous=NORMAL: durable
 * across a crash of the server, flushed by the OS later, as the BullMQ peer's Redis is. It starts
 * empty each time: it is a peer's scratch store, and a bench run should not inherit the last
 * run's history.
 */
export function temporalComponent(): Component {
  let binary = '';
  return processComponent({
    name: 'temporal',
    kind: 'extra',
    ports: [PORT, PORT + 10],
    urls: { 'Temporal (gRPC)': endpoints.temporalAddress },
    readyTimeoutMs: 60_000,
    async prepare() {
      binary = buildGoTool('temporal', 'github.com/temporalio/cli/cmd/temporal');
    },
    launch() {
      const data = path.join(dirs.data, 'temporal');
      fs.rmSync(data, { recursive: true, force: true });
      fs.mkdirSync(data, { recursive: true });
      return {
        command: binary,
        args: [
          'server', 'start-dev',
          '--headless',
          '--ip', '127.0.0.1',
          '--port', String(PORT),
          '--http-port', String(PORT + 10),
          '--db-filename', path.join(data, 'temporal.db'),
          '--sqlite-pragma', 'journal_mode=wal',
          '--sqlite-pragma', 'synchronous=normal',
          '--log-level', 'warn',
        ],
      };
    },
    ready: () => portOpen(PORT),
  });
}
