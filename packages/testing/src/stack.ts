import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * Runs the project's stack tool (`tools/stack/src/cli.ts`) with these arguments, its output
 * shown, as `npm run stack -- ...` would: `runStack('stop', 'kafka')`. Throws when it fails.
 */
export function runStack(...args: string[]): void {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'tools/stack/src/cli.ts'), ...args], {
    cwd: ROOT,
    stdio: 'inherit',
    env: process.env,
  });
  if (result.status !== 0) throw new Error(`stack ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
}
