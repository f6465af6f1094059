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
  drainLeadMs: number;
  systems: ('herald' | 'bullmq')[];
  /** The share of signups whose trace Herald's services sample and export to Jaeger; 0 turns tracing off. */
  traceRatio: number;
  /** Run Herald's services under V8's CPU profiler and summarize where their CPU went. */
  cpuProfile: boolean;
}

export const USAGE =
  'usage: npm run bench [-- --quick | --full] [--only herald|bullmq] [--rates 100,300] [--step-seconds N] ' +
  '[--warmup-seconds N] [--drain N] [--trace-ratio 0..1] [--cpu-profile]';

/** A command line the bench cannot run; the message says which argument and why. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const SWITCHES = new Set(['--quick', '--full', '--cpu-profile']);
const VALUED = new Set(['--only', '--rates', '--step-seconds', '--warmup-seconds', '--drain', '--trace-ratio']);

/** A whole number ≥ `min` from an argument, or a UsageError naming it. */
function wholeNumber(name: string, raw: string, min: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${name} takes a whole number ≥ ${min}, got "${raw}"\n${USAGE}`);
  }
  return value;
}

/** The plan for `argv` (the arguments after the script); throws UsageError on anything else. */
export function planOf(argv: readonly string[]): Plan {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (SWITCHES.has(arg)) continue;
    if (!VALUED.has(arg)) throw new UsageError(`unknown argument "${arg}"\n${USAGE}`);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value\n${USAGE}`);
    values.set(arg, value);
    i++;
  }
  const full = argv.includes('--full');
  if (full && argv.includes('--quick')) throw new UsageError(`--quick and --full exclude each other\n${USAGE}`);
  const number = (name: string, fallback: number, min: number): number => {
    const raw = values.get(name);
    return raw === undefined ? fallback : wholeNumber(name, raw, min);
  };
  const rawRates = values.get('--rates');
  const rates = rawRates === undefined ? (full ? [100, 250, 500, 750, 1000] : [100, 300]) : rawRates.split(',').map((r) => wholeNumber('--rates', r, 1));
  const rawRatio = values.get('--trace-ratio');
  const traceRatio = rawRatio === undefined ? 0.1 : /^(0(\.\d+)?|1(\.0+)?)$/.test(rawRatio) ? Number(rawRatio) : Number.NaN;
  if (Number.isNaN(traceRatio)) throw new UsageError(`--trace-ratio takes a number from 0 to 1, got "${rawRatio}"\n${USAGE}`);
  const only = values.get('--only');
  if (only !== undefined && only !== 'herald' && only !== 'bullmq') {
    throw new UsageError(`--only takes herald or bullmq, got "${only}"\n${USAGE}`);
  }
  return {
    mode: full ? 'full' : 'quick',
    rates,
    stepMs: number('--step-seconds', full ? 60 : 10, 1) * 1000,
    warmupMs: number('--warmup-seconds', full ? 30 : 10, 0) * 1000,
    settleMs: full ? 20_000 : 10_000,
    retrySignups: full ? 50 : 20,
    dueTogether: 1000,
    drain: number('--drain', full ? 100_000 : 10_000, 1),
    drainLeadMs: full ? 30_000 : 8_000,
    systems: only === undefined ? ['herald', 'bullmq'] : [only],
    traceRatio,
    cpuProfile: argv.includes('--cpu-profile'),
  };
}
