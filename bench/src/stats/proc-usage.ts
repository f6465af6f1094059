import fs from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time and memory of one process tree at one moment. */
export interface UsageSample {
  /** User + system CPU seconds of the tree, children that exited and were reaped included. */
  cpuSeconds: number;
  /** Largest peak resident set (VmHWM) of any process in the tree, MiB. */
  peakRssMiB: number;
}

/**
 * Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses):
 * index 0 is field 3 (state), so ppid is [1], utime [11], stime [12], cutime [13], cstime [14].
 */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/);
}

/** CPU seconds in one /proc/<pid>/stat line: own time plus that of reaped children. */
export function cpuSecondsOf(stat: string): number {
  const f = statFields(stat).map(Number);
  return ((f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0)) / TICKS_PER_SECOND;
}

/** VmHWM in MiB from /proc/<pid>/status text (0 when absent). */
export function peakRssMiBOf(status: string): number {
  const kib = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

function read(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The pid and every live descendant of it. */
function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    if (!stat) continue;
    const ppid = Number(statFields(stat)[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Samples a process tree from /proc; undefined when the root is gone. */
export function sampleUsage(root: number): UsageSample | undefined {
  if (read(`/proc/${root}/stat`) === undefined) return undefined;
  let cpuSeconds = 0;
  let peakRssMiB = 0;
  for (const pid of tree(root)) {
    const stat = read(`/proc/${pid}/stat`);
    if (stat === undefined) continue;
    // A live child's own time is not in the parent's cutime yet; a reaped one's is.
    cpuSeconds += cpuSecondsOf(stat);
    peakRssMiB = Math.max(peakRssMiB, peakRssMiBOf(read(`/proc/${pid}/status`) ?? ''));
  }
  return { cpuSeconds, peakRssMiB };
}

/** Busy CPU seconds of the whole machine since boot (all cores), from the first line of /proc/stat. */
export function machineBusySeconds(): number {
  const first = (read('/proc/stat') ?? '').split('\n', 1)[0] ?? '';
  return busySecondsOf(first);
}

/** Busy seconds in a `cpu ...` line of /proc/stat: everything but idle and iowait. */
export function busySecondsOf(cpuLine: string): number {
  const f = cpuLine.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((sum, v) => sum + v, 0);
  return (total - (f[3] ?? 0) - (f[4] ?? 0)) / TICKS_PER_SECOND;
}
