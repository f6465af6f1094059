import { ManualClock, systemClock } from './clock';

describe('ManualClock', () => {
  it('wakes a sleeper only once advanced past its deadline, and others in deadline order', async () => {
    const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
    const woke: string[] = [];
    const threeDays = clock.sleep(3 * 86_400_000).then(() => woke.push('3d'));
    const oneHour = clock.sleep(3_600_000).then(() => woke.push('1h'));
    expect(clock.sleeping).toBe(2);

    clock.advance(3_599_999);
    await Promise.resolve();
    expect(woke).toEqual([]);

    clock.advance(3 * 86_400_000);
    await Promise.all([threeDays, oneHour]);
    expect(woke).toEqual(['1h', '3d']);
    expect(clock.now().toISOString()).toBe('2030-01-04T00:59:59.999Z');
    expect(clock.sleeping).toBe(0);
  });

  it('resolves a sleep when its signal aborts, and at once for zero or an aborted signal', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).resolves.toBeUndefined();
    expect(clock.sleeping).toBe(0);
    await expect(clock.sleep(0)).resolves.toBeUndefined();
    await expect(clock.sleep(10, controller.signal)).resolves.toBeUndefined();
  });

  it('refuses to go back in time', () => {
    expect(() => new ManualClock().advance(-1)).toThrow(RangeError);
  });
});

describe('systemClock', () => {
  it('sleeps real time and stops early on abort', async () => {
    const started = Date.now();
    await systemClock.sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    const t = Date.now();
    await systemClock.sleep(60_000, controller.signal);
    expect(Date.now() - t).toBeLessThan(1000);
  });
});
