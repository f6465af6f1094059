// Summaries of V8 CPU profiles (`node --cpu-prof`) of Herald's services over a bench run: where
// each service's CPU went, by package and by function, as the report's evidence of what bounds it.
import path from 'node:path';

/** The parts of V8's `.cpuprofile` read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** A part of the busy time: seconds, and the share of the busy time (0–1). */
export interface Share {
  name: string;
  seconds: number;
  share: number;
}

export interface ProfileSummary {
  /** Sampled time the process was running JavaScript, native code or the collector. */
  busySeconds: number;
  idleSeconds: number;
  /** Self time by owner (package, Node module, Herald package, GC, native). */
  byOwner: Share[];
  /** Time with the owner anywhere on the stack (each sample counted once per owner). */
  inclusiveByOwner: Share[];
  /** Self time by function. */
  byFunction: Share[];
}

const IDLE = '(idle)';

/** Who a frame belongs to: a package of node_modules, a Node module, a Herald package, V8 itself. */
export function ownerOf(frame: { functionName: string; url: string }, root: string): string {
  const { functionName, url } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'V8 garbage collector';
    if (functionName === IDLE) return IDLE;
    return 'V8 and native code';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return `node:${url.slice('node:'.length).replace(/^internal\//, '').split('/')[0]!}`;
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  const own = /^(?:packages|services)\/([^/]+)\//.exec(path.relative(root, file));
  return own ? `@herald/${own[1]!}` : path.relative(root, file);
}

/** `encode (kafkajs, encoder.js:10)`: the function, who it belongs to, its file and line. */
function functionLabel(frame: { functionName: string; url: string; lineNumber: number }, owner: string): string {
  const name = frame.functionName || '(anonymous)';
  if (frame.url === '') return name;
  const where = `${frame.url.split('/').at(-1)!}:${frame.lineNumber + 1}`;
  return frame.url.startsWith('node:') ? `${name} (${frame.url}:${frame.lineNumber + 1})` : `${name} (${owner}, ${where})`;
}

function top(totals: Map<string, number>, busy: number, count: number): Share[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => ({ name, seconds: micros / 1e6, share: busy > 0 ? micros / busy : 0 }));
}

/** Where the profile's busy time went; `root` is the repository, for Herald's own files. */
export function summarizeProfile(profile: CpuProfile, root: string, count = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const owners = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const functions = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const [id, micros] of self) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const owner = ownerOf(frame, root);
    if (owner === IDLE) {
      idle += micros;
      continue;
    }
    busy += micros;
    owners.set(owner, (owners.get(owner) ?? 0) + micros);
    const label = functionLabel(frame, owner);
    functions.set(label, (functions.get(label) ?? 0) + micros);
    const onStack = new Set<string>([owner]);
    for (let up = parent.get(id); up !== undefined; up = parent.get(up)) {
      const upper = byId.get(up)?.callFrame;
      if (upper && upper.url !== '') onStack.add(ownerOf(upper, root));
    }
    for (const o of onStack) inclusive.set(o, (inclusive.get(o) ?? 0) + micros);
  }
  return {
    busySeconds: busy / 1e6,
    idleSeconds: idle / 1e6,
    byOwner: top(owners, busy, count),
    inclusiveByOwner: top(inclusive, busy, count),
    byFunction: top(functions, busy, count),
  };
}

const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;

/** The summaries as markdown: one section per process. */
export function renderProfiles(summaries: Record<string, ProfileSummary>): string {
  const lines: string[] = [];
  for (const [name, s] of Object.entries(summaries)) {
    lines.push(
      `### ${name}: ${s.busySeconds.toFixed(1)} s busy, ${s.idleSeconds.toFixed(1)} s idle (sampled)`,
      '',
      '| self time by owner | share | with it on the stack | share | self time by function | share |',
      '| --- | ---: | --- | ---: | --- | ---: |',
    );
    const rows = Math.max(s.byOwner.length, s.inclusiveByOwner.length, s.byFunction.length);
    for (let i = 0; i < rows; i += 1) {
      const cell = (share: Share | undefined): string => (share ? `${share.name.replaceAll('|', '\\|')} | ${pct(share.share)}` : ' | ');
      lines.push(`| ${cell(s.byOwner[i])} | ${cell(s.inclusiveByOwner[i])} | ${cell(s.byFunction[i])} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
