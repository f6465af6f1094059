import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { dirs } from './paths.ts';
import { StackError } from './errors.ts';

export function pidFile(name: string): string {
  return path.join(dirs.run, `${name}.pid`);
}

export function logFile(name: string): string {
  return path.join(dirs.logs, `${name}.log`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid recorded for a component, when that process still runs. */
export function runningPid(name: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(pidFile(name), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return pid;
  fs.rmSync(pidFile(name), { force: true });
  return undefined;
}

/**
 * Starts a long-running process detached from this one, in its own process group, with its
 * output appended to .herald/logs/<name>.log, and records its pid.
 */
export function startDetached(
  name: string,
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): number {
  fs.mkdirSync(dirs.logs, { recursive: true });
  fs.mkdirSync(dirs.run, { recursive: true });
  const out = fs.openSync(logFile(name), 'a');
  fs.writeSync(out, `\n--- ${new Date().toISOString()} starting ${name}: ${command} ${args.join(' ')}\n`);
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
  };
  const child = spawn(command, [...args], spawnOptions);
  fs.closeSync(out);
  if (child.pid === undefined) throw new StackError(`${name}: could not start ${command}`);
  child.unref();
  fs.writeFileSync(pidFile(name), `${child.pid}\n`);
  return child.pid;
}

/** Sends SIGTERM to a process group, waits up to `graceMs`, then SIGKILLs it. */
export async function stopProcessGroup(pid: number, graceMs = 15_000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    signal('SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Who listens on a TCP port, as `pid 123 (java)`, when `ss` can tell. */
export function portHolder(port: number): string | undefined {
  const result = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(result.stdout);
  return match ? `pid ${match[2]} (${match[1]})` : result.stdout.trim() ? 'another process' : undefined;
}

/** Pids of the processes listening on a TCP port (empty when `ss` cannot tell). */
export function portPids(port: number): number[] {
  const result = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  if (result.status !== 0) return [];
  return [...result.stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

/** Polls `check` every `intervalMs` until it is true, or throws after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
  alive?: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (alive && !alive()) throw new StackError(`${what} exited while starting`);
    if (Date.now() > deadline) throw new StackError(`${what} not ready after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(intervalMs);
  }
}

/** Runs a command to completion with inherited output; throws a StackError when it fails. */
export function run(
  what: string,
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; quiet?: boolean } = {},
): string {
  const result = spawnSync(command, [...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    stdio: options.quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new StackError(`${what}: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new StackError(`${what} failed (exit ${result.status})${tail ? `:\n${tail}` : ''}`);
  }
  return result.stdout ?? '';
}

/** True when `command` is on PATH. */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** GETs a local URL and tells whether it answered 2xx. */
export async function httpOk(url: string, timeoutMs = 1500): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}
