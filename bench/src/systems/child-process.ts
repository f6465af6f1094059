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

/**
 * Starts `node <args>` with the given environment, in a process group of its own (so that a fault
 * run can kill the group, as a supervisor would), output appended to `<logDir>/<name>.log`.
 */
export function startNode(name: string, args: readonly string[], env: NodeJS.ProcessEnv, logDir: string, cwd: string): BenchProcess {
  fs.mkdirSync(logDir, { recursive: true });
  const log = path.join(logDir, `${name}.log`);
  const out = fs.openSync(log, 'a');
  const child = spawn(process.execPath, [...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', out, out], detached: true });
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

/** Waits until the process's log has a line matching `pattern`, or throws naming its log. */
export async function waitForLine(proc: BenchProcess, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited (${proc.child.exitCode}); see ${proc.log}`);
    if (pattern.test(fs.readFileSync(proc.log, 'utf8'))) return;
    await sleep(100);
  }
  throw new Error(`${proc.name} not ready after ${timeoutMs / 1000} s; see ${proc.log}`);
}

/** Sends `signal` to the process's group and waits for it to exit. */
export async function signalGroup(proc: BenchProcess, signal: NodeJS.Signals): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
  process.kill(-proc.pid, signal);
  await exited;
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
