import fs from 'node:fs';
import path from 'node:path';
import { processComponent, type Component } from '../component.ts';
import { serviceEnvironment } from '../endpoints.ts';
import { StackError } from '../errors.ts';
import { ROOT } from '../paths.ts';
import { httpOk } from '../proc.ts';

export interface NodeServiceSpec {
  name: string;
  /** Workspace folder, relative to the root. */
  dir: string;
  port: number;
  kind: 'infrastructure' | 'service';
  urls?: Record<string, string>;
  /** Path answering 200 when ready. */
  readyPath?: string;
  env?: NodeJS.ProcessEnv;
}

/** A Node program of this repository, run from its built dist/main.js. */
export function nodeServiceComponent(spec: NodeServiceSpec): Component {
  const main = path.join(ROOT, spec.dir, 'dist/main.js');
  return processComponent({
    name: spec.name,
    kind: spec.kind,
    ports: [spec.port],
    urls: spec.urls ?? {},
    readyTimeoutMs: 60_000,
    async prepare() {
      if (!fs.existsSync(main)) {
        throw new StackError(`${spec.name}: ${path.relative(ROOT, main)} is missing: run npm run build first`);
      }
    },
    launch: () => ({
      command: process.execPath,
      args: ['--enable-source-maps', main],
      cwd: path.join(ROOT, spec.dir),
      env: {
        ...process.env,
        ...serviceEnvironment(),
        NODE_ENV: process.env.NODE_ENV ?? 'development',
        HOST: '127.0.0.1',
        PORT: String(spec.port),
        ...spec.env,
      },
    }),
    ready: () => httpOk(`http://127.0.0.1:${spec.port}${spec.readyPath ?? '/readyz'}`),
  });
}
