import type { RateStep } from '../scenarios.ts';
import type { Summary } from '../stats/percentiles.ts';
import { renderProfiles, type ProfileSummary } from './cpu-profile.ts';

/** What one system scored, as the report needs it. */
export interface SystemResult {
  steps: RateStep[];
  maxSustainedRate: number;
  retry: { signups: number; error: Summary };
  dueTogether: { count: number; delivered: number; atSink: Summary; dispatch?: Summary };
  drain: { count: number; seconds: number; perSecond: number };
  usage: Record<string, { cpuSeconds: number; peakRssMiB: number }>;
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

type Row = [label: string, herald: number | undefined, bullmq: number | undefined, digits?: number, lowerIsBetter?: boolean];

function rowsOf(h: SystemResult | undefined, b: SystemResult | undefined): Row[] {
  const rows: Row[] = [];
  const rates = [...new Set([...(h?.steps ?? []), ...(b?.steps ?? [])].map((s) => s.rate))].sort((x, y) => x - y);
  for (const rate of rates) {
    const hs = h?.steps.find((s) => s.rate === rate);
    const bs = b?.steps.find((s) => s.rate === rate);
    const lost = (s: typeof hs) => (s ? s.lost.welcome + s.lost.slack + s.lost.followUp : undefined);
    rows.push(
      [`${rate}/s: API p50 ms`, hs?.api.p50, bs?.api.p50],
      [`${rate}/s: API p99 ms`, hs?.api.p99, bs?.api.p99],
      [`${rate}/s: API max ms`, hs?.api.max, bs?.api.max],
      [`${rate}/s: API errors`, hs?.errors, bs?.errors, 0],
      [`${rate}/s: signup → welcome email p50 ms`, hs?.welcome.p50, bs?.welcome.p50],
      [`${rate}/s: signup → welcome email p99 ms`, hs?.welcome.p99, bs?.welcome.p99],
      [`${rate}/s: signup → Slack p50 ms`, hs?.slack.p50, bs?.slack.p50],
      [`${rate}/s: signup → Slack p99 ms`, hs?.slack.p99, bs?.slack.p99],
      [`${rate}/s: follow-up lateness in flow p99 ms`, hs?.followUpLateness.p99, bs?.followUpLateness.p99],
      [`${rate}/s: lost (welcome + Slack + follow-up)`, lost(hs), lost(bs), 0],
    );
  }
  rows.push(
    ['highest rate sustained (signups/s)', h?.maxSustainedRate, b?.maxSustainedRate, 0],
    ['retry delay error p50 ms', h?.retry.error.p50, b?.retry.error.p50],
    ['retry delay error p99 ms', h?.retry.error.p99, b?.retry.error.p99],
    [`follow-ups due together (${h?.dueTogether.count ?? b?.dueTogether.count ?? 0}): lateness p50 ms`, h?.dueTogether.atSink.p50, b?.dueTogether.atSink.p50],
    ['follow-ups due together: lateness p99 ms', h?.dueTogether.atSink.p99, b?.dueTogether.atSink.p99],
    [`drain of ${h?.drain.count ?? b?.drain.count ?? 0} due: rows/s`, h?.drain.perSecond, b?.drain.perSecond, 0],
  );
  const procs = (r: SystemResult | undefined) => Object.entries(r?.usage ?? {}).filter(([name]) => name !== 'rest of the machine');
  const cpu = (r: SystemResult | undefined) => procs(r).reduce((sum, [, u]) => sum + u.cpuSeconds, 0);
  rows.push(['CPU seconds, all processes of the system', cpu(h), cpu(b)]);
  return rows;
}

/** The side-by-side table: each figure with the ratio Herald/BullMQ. */
export function renderTable(herald: SystemResult | undefined, bullmq: SystemResult | undefined): string {
  const lines = ['| figure | Herald | BullMQ | Herald/BullMQ |', '| --- | ---: | ---: | ---: |'];
  for (const [label, h, b, digits] of rowsOf(herald, bullmq)) lines.push(`| ${label} | ${fmt(h, digits)} | ${fmt(b, digits)} | ${ratio(h, b)} |`);
  return lines.join('\n');
}

function usageTable(name: string, r: SystemResult | undefined): string {
  if (!r) return '';
  const lines = [`| ${name} process | CPU s | peak RSS MiB |`, '| --- | ---: | ---: |'];
  for (const [proc, u] of Object.entries(r.usage)) lines.push(`| ${proc} | ${fmt(u.cpuSeconds)} | ${fmt(u.peakRssMiB, 0)} |`);
  return lines.join('\n');
}

/** The whole markdown report of one run. */
export function renderReport(meta: Meta, herald: SystemResult | undefined, bullmq: SystemResult | undefined): string {
  return [
    `# Benchmark: Herald and BullMQ, ${meta.mode} run`,
    '',
    `- date: ${meta.date}; commit: ${meta.commit}; Node ${meta.node}`,
    `- machine: ${meta.cores} cores (${meta.cpuModel}), ${meta.memoryGiB} GiB; everything (Kafka, PostgreSQL, Redis, services, load generator, sinks) on it`,
    `- sinks: ${meta.sinks}`,
    ...meta.notes.map((n) => `- ${n}`),
    '',
    renderTable(herald, bullmq),
    '',
    usageTable('Herald', herald),
    '',
    usageTable('BullMQ', bullmq),
    '',
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
