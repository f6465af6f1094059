import { summarize } from '../stats/percentiles.ts';
import { renderTable, stepUsageTable, type MeasuredStep, type SystemResult } from './markdown.report.ts';

const step = (rate: number, accepted: number, cpuSeconds: number): MeasuredStep => ({
  rate,
  durationS: 10,
  sent: accepted,
  accepted,
  errors: 0,
  api: summarize([1]),
  welcome: summarize([1]),
  slack: summarize([1]),
  followUpLateness: summarize([1]),
  lost: { welcome: 0, slack: 0, followUp: 0 },
  duplicates: 0,
  achievedRate: rate,
  sustained: true,
  cpuSeconds,
  cpuSecondsByProcess: { postgres: cpuSeconds * 0.75, kafka: cpuSeconds * 0.25 },
});

const result = (steps: MeasuredStep[], usageSeconds: number, signups: number): SystemResult => ({
  steps,
  maxSustainedRate: Math.max(...steps.map((s) => s.rate)),
  retry: { signups: 0, error: summarize([]) },
  dueTogether: { count: 0, delivered: 0, atSink: summarize([]) },
  drain: { count: 0, seconds: 1, perSecond: 0 },
  usage: { postgres: { cpuSeconds: usageSeconds, peakRssMiB: 1 }, 'bench harness (load + sinks)': { cpuSeconds: 99, peakRssMiB: 1 } },
  signups,
});

const rowOf = (table: string, label: string): string[] | undefined =>
  table
    .split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim()).filter((cell) => cell !== ''))
    .find((cells) => cells[0] === label);

describe('the report table', () => {
  // Herald ran 100 and 500/s, the peer 100 only: its whole-run figure cannot stand for Herald's at 100/s.
  const table = renderTable({
    herald: result([step(100, 1000, 4), step(500, 5000, 10)], 14, 6000),
    bullmq: result([step(100, 1000, 2)], 2, 1000),
  });

  it('gives the CPU a signup of each step, compared step by step', () => {
    expect(rowOf(table, '100/s: CPU ms a signup, the system')).toEqual(['100/s: CPU ms a signup, the system', '4.00', '2.00', '2.00']);
    expect(rowOf(table, '500/s: CPU ms a signup, the system')).toEqual(['500/s: CPU ms a signup, the system', '2.00', '–', '–']);
  });

  it('keeps the whole run\'s figure, the harness left out', () => {
    expect(rowOf(table, 'CPU ms a signup, the system, over every step it ran')).toEqual(['CPU ms a signup, the system, over every step it ran', '2.33', '2.00', '1.17']);
  });
});

describe('the per-step process table', () => {
  it('gives each process\'s CPU ms a signup at each rate', () => {
    const table = stepUsageTable('Herald', result([step(100, 1000, 4), step(500, 5000, 10)], 14, 6000));
    expect(rowOf(table, 'postgres')).toEqual(['postgres', '3.00', '1.50']);
    expect(rowOf(table, 'kafka')).toEqual(['kafka', '1.00', '0.50']);
  });
});
