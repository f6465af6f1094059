import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dirs } from '../paths.ts';
import { requireCommand } from '../prereq.ts';
import { run } from '../proc.ts';

/**
 * Builds a Go program pinned by a module of its own under tools/infra/<name> (go.mod with a
 * `tool` directive, go.sum) into .herald/cache/bin, once per version of that module.
 */
export function buildGoTool(name: string, pkg: string): string {
  const moduleDir = path.join(dirs.infra, name);
  const hash = createHash('sha256')
    .update(fs.readFileSync(path.join(moduleDir, 'go.mod')))
    .update(fs.readFileSync(path.join(moduleDir, 'go.sum')))
    .digest('hex')
    .slice(0, 12);
  const binary = path.join(dirs.cache, 'bin', `${name}-${hash}`);
  if (fs.existsSync(binary)) return binary;
  requireCommand('go', `once, to build ${name} from its Go module`, 'install Go 1.25+ (https://go.dev/dl) or use docker compose up');
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  process.stdout.write(`${name}: building ${pkg} with Go (once; a few minutes on a cold cache)\n`);
  const partial = `${binary}.partial`;
  run(`go build ${pkg}`, 'go', ['build', '-trimpath', '-o', partial, pkg], {
    cwd: moduleDir,
    env: { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
  });
  fs.renameSync(partial, binary);
  return binary;
}
