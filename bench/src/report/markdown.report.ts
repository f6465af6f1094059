import type { SystemName } from '../plan.ts';
import type { RateStep } from '../scenarios.ts';
import type { Summary } from '../stats/percentiles.ts';
import { renderProfiles, type ProfileSummary } from './cpu-profile.ts';

/** A rate step with the CPU the system spent on it. */
export interface MeasuredStep extends RateStep {
  /** CPU seconds of the system's processes and infrastructure from the step's first signup to its last delivery. */
  cpuSeconds: number;
  /** `cpuSeconds` process by process. */
  cpuSecondsByProcess: Record<string, number>;
}

/** What one system scored, as the report needs it. */
export interface SystemResult {
  steps: MeasuredStep[];
  maxSustainedRate: number;
  retry: { signups: number; error: Summary };
  dueTogether: { count: number; delivered: number; atSink: Summary; dispatch?: Summary };
  drain: { count: number; seconds: number; perSecond: number };
  usage: Record<string, { cpuSeconds: number; peakRssMiB: number }>;
  /** Signups accepted over the window `usage` was measured in. */
  signups: number;
  /** With `--cpu-profile`: where each service's CPU went over the whole run. */
  cpuProfiles?: Record<string, ProfileSummary>;
}

export interface Meta {
  date: string;
  commit: string;
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  mode: string;
  node: string;
  sinks: string;
  notes: string[];
}

/** `a / b` to two decimals, `–` when either side is missing. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–';
  return (a / b).toFixed(2);
}

function fmt(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** What is not the system's: the load generator and sinks, and everything else on the machine. */
const NOT_THE_SYSTEM = new Set(['bench harness (load + sinks)', 'rest of the machine']);

/** CPU seconds of the system's own processes and infrastructure. */
export function systemCpuSeconds(r: SystemResult): number {
  return Object.entries(r.usage)
    .filter(([name]) => !NOT_THE_SYSTEM.has(name))
    .reduce((sum, [, u]) => sum + u.cpuSeconds, 0);
}

type Results = Partial<Record<SystemName, SystemResult>>;
/** A figure of each system; `digits` for its rendering. */
type Row = { label: string; of: (r: SystemResult) => number | undefined; digits?: number };

const NAMES: Record<SystemName, string> = { herald: 'Herald', bullmq: 'BullMQ', temporal: 'Temporal' };

function rowsOf(results: Results): Row[] {
  const all = Object.values(results);
  const rates = [...new Set(all.flatMap((r) => r.steps.map((s) => s.rate)))].sort((x, y) => x - y);
  const rows: Row[] = [];
  for (const rate of rates) {
    const step = (r: SystemResult) => r.steps.find((s) => s.rate === rate);
    rows.push(
      { label: `${rate}/s: API p50 ms`, of: (r) => step(r)?.api.p50 },
      { label: `${rate}/s: API p99 ms`, of: (r) => step(r)?.api.p99 },
      { label: `${rate}/s: API max ms`, of: (r) => step(r)?.api.max },
      { label: `${rate}/s: API errors`, of: (r) => step(r)?.errors, digits: 0 },
      { label: `${rate}/s: signup → welcome email p50 ms`, of: (r) => step(r)?.welcome.p50 },
      { label: `${rate}/s: signup → welcome email p99 ms`, of: (r) => step(r)?.welcome.p99 },
      { label: `${rate}/s: signup → Slack p50 ms`, of: (r) => step(r)?.slack.p50 },
      { label: `${rate}/s: signup → Slack p99 ms`, of: (r) => step(r)?.slack.p99 },
      { label: `${rate}/s: follow-up lateness in flow p99 ms`, of: (r) => step(r)?.followUpLateness.p99 },
      {
        label: `${rate}/s: lost (welcome + Slack + follow-up)`,
        of: (r) => {
          const s = step(r);
          return s ? s.lost.welcome + s.lost.slack + s.lost.followUp : undefined;
        },
        digits: 0,
      },
      {
        label: `${rate}/s: CPU ms a signup, the system`,
        of: (r) => {
          const s = step(r);
          return s && s.accepted > 0 ? (s.cpuSeconds * 1000) / s.accepted : undefined;
        },
        digits: 2,
      },
    );
  }
  const dueTogether = all[0]?.dueTogether.count ?? 0;
  rows.push(
    { label: 'highest rate sustained (signups/s)', of: (r) => r.maxSustainedRate, digits: 0 },
    { label: 'retry delay error p50 ms', of: (r) => r.retry.error.p50 },
    { label: 'retry delay error p99 ms', of: (r) => r.retry.error.p99 },
    { label: `follow-ups due together (${dueTogether}): lateness p50 ms`, of: (r) => r.dueTogether.atSink.p50 },
    { label: 'follow-ups due together: lateness p99 ms', of: (r) => r.dueTogether.atSink.p99 },
    { label: 'drain: delayed messages due together', of: (r) => r.drain.count, digits: 0 },
    { label: 'drain: rows/s', of: (r) => r.drain.perSecond, digits: 0 },
    { label: 'CPU seconds, the system (harness excluded)', of: (r) => systemCpuSeconds(r) },
    { label: 'CPU ms a signup, the system, over every step it ran', of: (r) => (r.signups > 0 ? (systemCpuSeconds(r) * 1000) / r.signups : undefined), digits: 2 },
  );
  return rows;
}

/** The side-by-side table: each figure of each system, with Herald's ratio to each peer. */
export function renderTable(results: Results): string {
  const present = (Object.keys(NAMES) as SystemName[]).filter((name) => results[name] !== undefined);
  const peers = results.herald ? present.filter((name) => name !== 'herald') : [];
  const header = ['figure', ...present.map((name) => NAMES[name]), ...peers.map((name) => `Herald/${NAMES[name]}`)];
  const lines = [`| ${header.join(' | ')} |`, `| --- |${' ---: |'.repeat(header.length - 1)}`];
  for (const { label, of, digits } of rowsOf(results)) {
    const value = (name: SystemName) => {
      const r = results[name];
      return r ? of(r) : undefined;
    };
    const cells = [label, ...present.map((name) => fmt(value(name), digits)), ...peers.map((name) => ratio(value('herald'), value(name)))];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function usageTable(name: string, r: SystemResult | undefined): string {
  if (!r) return '';
  const lines = [`| ${name} process | CPU s | CPU ms a signup | peak RSS MiB |`, '| --- | ---: | ---: | ---: |'];
  const perSignup = (cpuSeconds: number) => (r.signups > 0 ? (cpuSeconds * 1000) / r.signups : undefined);
  for (const [proc, u] of Object.entries(r.usage)) {
    lines.push(`| ${proc} | ${fmt(u.cpuSeconds)} | ${fmt(perSignup(u.cpuSeconds), 2)} | ${fmt(u.peakRssMiB, 0)} |`);
  }
  return lines.join('\n');
}

/** CPU ms a signup of each process, step by step: what a process costs at a low rate and a high one. */
export function stepUsageTable(name: string, r: SystemResult | undefined): string {
  if (!r || r.steps.length === 0) return '';
  const processes = [...new Set(r.steps.flatMap((s) => Object.keys(s.cpuSecondsByProcess)))];
  const lines = [`| ${name} process, CPU ms a signup | ${r.steps.map((s) => `${s.rate}/s`).join(' | ')} |`, `| --- |${' ---: |'.repeat(r.steps.length)}`];
  for (const proc of processes) {
    const cells = r.steps.map((s) => fmt(s.accepted > 0 ? ((s.cpuSecondsByProcess[proc] ?? 0) * 1000) / s.accepted : undefined, 2));
    lines.push(`| ${proc} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The whole markdown report of one run. */
export function renderReport(meta: Meta, results: Results): string {
  const names = (Object.keys(NAMES) as SystemName[]).filter((name) => results[name] !== undefined);
  const herald = results.herald;
  return [
    `# Benchmark: ${names.map((name) => NAMES[name]).join(', ')}; ${meta.mode} run`,
    '',
    `- date: ${meta.date}; commit: ${meta.commit}; Node ${meta.node}`,
    `- machine: ${meta.cores} cores (${meta.cpuModel}), ${meta.memoryGiB} GiB; everything (Kafka, PostgreSQL, Redis, Temporal, services, load generator, sinks) on it`,
    `- sinks: ${meta.sinks}`,
    ...meta.notes.map((n) => `- ${n}`),
    '',
    renderTable(results),
    '',
    ...names.flatMap((name) => [usageTable(NAMES[name], results[name]), '']),
    ...names.flatMap((name) => [stepUsageTable(NAMES[name], results[name]), '']),
    ...(herald?.cpuProfiles
      ? [
          "## Herald's CPU profiles (`--cpu-profile`), over the whole run of each service",
          '',
          'Sampled by V8 (`node --cpu-prof`) on wall-clock time while the thread is not idle, so waits for a busy core count in the function they interrupt; the email service stops before the drain, the others profile it too.',
          '',
          renderProfiles(herald.cpuProfiles),
        ]
      : []),
  ].join('\n');
}
