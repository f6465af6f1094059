import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sleep } from '../clock.ts';

/** A process the bench started and stops; its output goes to a log file. */
export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly log: string;
}

/** Starts `node <args>` with the given environment, output to `<logDir>/<name>.log`. */
export function startNode(name: string, args: readonly string[], env: NodeJS.ProcessEnv, logDir: string, cwd: string): BenchProcess {
  fs.mkdirSync(logDir, { recursive: true });
  const log = path.join(logDir, `${name}.log`);
  const out = fs.openSync(log, 'w');
  const child = spawn(process.execPath, [...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`${name}: could not start`);
  return { name, pid: child.pid, child, log };
}

/** Polls `url` until it answers 2xx, or throws naming the process and its log. */
export async function waitHealthy(proc: BenchProcess, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited (${proc.child.exitCode}); see ${proc.log}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`${proc.name} not ready at ${url} after ${timeoutMs / 1000} s; see ${proc.log}`);
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(proc: BenchProcess, graceMs = 10_000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
