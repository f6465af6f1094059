import { planOf, UsageError } from './plan.ts';

describe('planOf', () => {
  it('gives a quick run of the three systems without arguments', () => {
    const plan = planOf([]);
    expect(plan).toMatchObject({ mode: 'quick', rates: [100, 300], stepMs: 10_000, warmupMs: 10_000, drain: 10_000, drainLeadMs: 10_000 });
    expect(plan.systems).toEqual(['herald', 'bullmq', 'temporal']);
    expect(plan.cpuProfile).toBe(false);
    expect(plan.traceRatio).toBe(0.1);
  });

  it('gives a full run its ladder, 60 s steps and 30 s of warm-up', () => {
    expect(planOf(['--full'])).toMatchObject({
      mode: 'full',
      rates: [100, 250, 500, 750, 1000],
      stepMs: 60_000,
      warmupMs: 30_000,
      drain: 100_000,
      drainLeadMs: 100_000,
    });
  });

  it('takes every option', () => {
    const plan = planOf(['--full', '--only', 'herald', '--rates', '100,250', '--step-seconds', '20', '--warmup-seconds', '0', '--drain', '500', '--trace-ratio', '1', '--cpu-profile']);
    expect(plan).toMatchObject({ rates: [100, 250], stepMs: 20_000, warmupMs: 0, drain: 500, drainLeadMs: 30_000, systems: ['herald'], traceRatio: 1, cpuProfile: true });
    expect(planOf(['--trace-ratio', '0']).traceRatio).toBe(0);
    expect(planOf(['--trace-ratio', '0.25']).traceRatio).toBe(0.25);
    // In the order of the report, whatever the order asked.
    expect(planOf(['--only', 'temporal,herald']).systems).toEqual(['herald', 'temporal']);
  });

  it.each([
    [['--rates', '100,abc'], '--rates takes a whole number ≥ 1, got "abc"'],
    [['--rates', '0'], '--rates takes a whole number ≥ 1, got "0"'],
    [['--rates', '100,'], '--rates takes a whole number ≥ 1, got ""'],
    [['--step-seconds', '1.5'], '--step-seconds takes a whole number ≥ 1, got "1.5"'],
    [['--warmup-seconds=-1'], '--warmup-seconds takes a whole number ≥ 0, got "-1"'],
    [['--drain', '1e5'], '--drain takes a whole number ≥ 1, got "1e5"'],
    [['--trace-ratio', '1.5'], '--trace-ratio takes a number from 0 to 1, got "1.5"'],
    [['--trace-ratio', '10%'], '--trace-ratio takes a number from 0 to 1, got "10%"'],
    [['--only', 'kafka'], '--only takes herald, bullmq, temporal, got "kafka"'],
    [['--drain'], "Option '--drain <value>' argument missing"],
    [['--rate', '100'], "Unknown option '--rate'"],
    [['--quick', '--full'], '--quick and --full exclude each other'],
  ])('refuses %j with a message naming the argument', (argv, message) => {
    const run = () => planOf(argv);
    expect(run).toThrow(UsageError);
    expect(run).toThrow(message);
    expect(run).toThrow('usage: npm run bench');
  });
});
