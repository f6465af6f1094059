import { parseArgs } from 'node:util';

/** The systems a run can measure: Herald and its two peers. */
export const SYSTEMS = ['herald', 'bullmq', 'temporal'] as const;
export type SystemName = (typeof SYSTEMS)[number];

/** What one `npm run bench` does, from its command line. */
export interface Plan {
  mode: 'quick' | 'full';
  rates: number[];
  stepMs: number;
  /**
   * How long each system runs at 50 signups/s before the first step, unmeasured. Kafka's JVM
   * compiles its hot paths during its first minute of traffic, and a step right after the broker
   * starts measures that compilation, not Herald. A 60 s step of 100/s on a broker started 8 s
   * before: welcome p50/p99 2.9/4.7 s after 3 s of warm-up, 0.2/0.8 s after 30 s.
   */
  warmupMs: number;
  settleMs: number;
  retrySignups: number;
  dueTogether: number;
  drain: number;
  /**
   * How far ahead the drain's rows fall due: time to hand them all over first (a millisecond a
   * row; Herald's intake stored 100,000 schedule requests in 22 to 43 s here), so that the drain
   * times only what leaves once they are due.
   */
  drainLeadMs: number;
  systems: SystemName[];
  /** The share of signups whose trace Herald's services sample and export to Jaeger; 0 turns tracing off. */
  traceRatio: number;
  /** Run Herald's services under V8's CPU profiler and summarize where their CPU went. */
  cpuProfile: boolean;
}

export const USAGE =
  'usage: npm run bench [-- --quick | --full] [--only herald,bullmq,temporal] [--rates 100,300] [--step-seconds N] ' +
  '[--warmup-seconds N] [--drain N] [--trace-ratio 0..1] [--cpu-profile]';

/** A command line the bench cannot run; the message says which argument and why. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A whole number ≥ `min` from an argument, or a UsageError naming it. */
function wholeNumber(name: string, raw: string, min: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${name} takes a whole number ≥ ${min}, got "${raw}"\n${USAGE}`);
  }
  return value;
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: 'boolean' },
        full: { type: 'boolean' },
        'cpu-profile': { type: 'boolean' },
        only: { type: 'string' },
        rates: { type: 'string' },
        'step-seconds': { type: 'string' },
        'warmup-seconds': { type: 'string' },
        drain: { type: 'string' },
        'trace-ratio': { type: 'string' },
      },
    }).values;
  } catch (error) {
    // parseArgs says what was wrong ("Unknown option '--rate'", "Option '--drain <value>' argument missing").
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
}

/** The plan for `argv` (the arguments after the script); throws UsageError on anything else. */
export function planOf(argv: readonly string[]): Plan {
  const values = parse(argv);
  const full = values.full === true;
  if (full && values.quick) throw new UsageError(`--quick and --full exclude each other\n${USAGE}`);
  const number = (name: 'step-seconds' | 'warmup-seconds' | 'drain', fallback: number, min: number): number => {
    const raw = values[name];
    return raw === undefined ? fallback : wholeNumber(`--${name}`, raw, min);
  };
  const rates = values.rates === undefined ? (full ? [100, 250, 500, 750, 1000] : [100, 300]) : values.rates.split(',').map((r) => wholeNumber('--rates', r, 1));
  const rawRatio = values['trace-ratio'];
  const traceRatio = rawRatio === undefined ? 0.1 : /^(0(\.\d+)?|1(\.0+)?)$/.test(rawRatio) ? Number(rawRatio) : Number.NaN;
  if (Number.isNaN(traceRatio)) throw new UsageError(`--trace-ratio takes a number from 0 to 1, got "${rawRatio}"\n${USAGE}`);
  const systems = values.only === undefined ? [...SYSTEMS] : values.only.split(',');
  for (const name of systems) {
    if (!(SYSTEMS as readonly string[]).includes(name)) throw new UsageError(`--only takes ${SYSTEMS.join(', ')}, got "${name}"\n${USAGE}`);
  }
  const drain = number('drain', full ? 100_000 : 10_000, 1);
  return {
    mode: full ? 'full' : 'quick',
    rates,
    stepMs: number('step-seconds', full ? 60 : 10, 1) * 1000,
    warmupMs: number('warmup-seconds', full ? 30 : 10, 0) * 1000,
    settleMs: full ? 20_000 : 10_000,
    retrySignups: full ? 50 : 20,
    dueTogether: 1000,
    drain,
    drainLeadMs: Math.max(full ? 30_000 : 8_000, drain),
    systems: SYSTEMS.filter((name) => systems.includes(name)),
    traceRatio,
    cpuProfile: values['cpu-profile'] === true,
  };
}
