import { backoffPause, retrying } from './retry';

describe('backoffPause', () => {
  it('doubles from the initial pause up to the cap, with ±20 % jitter', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 10].map((n) => backoffPause(n, { initialMs: 500, maxMs: 3000, random: mid }))).toEqual([500, 1000, 2000, 3000, 3000]);
    expect(backoffPause(1, { initialMs: 1000, random: () => 0 })).toBe(800);
    expect(backoffPause(1, { initialMs: 1000, random: () => 1 })).toBe(1200);
  });
});

describe('retrying', () => {
  it('runs the work again after each failure until it resolves, telling of each failure', async () => {
    let calls = 0;
    const told: number[] = [];
    const result = await retrying(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error(`failure ${calls}`);
        return 'done';
      },
      { initialMs: 1, maxMs: 2, onFailure: (_error, failures) => told.push(failures) },
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
    expect(told).toEqual([1, 2]);
  });

  it('stops when its signal aborts, mid-pause, with the last failure', async () => {
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 50);
    await expect(
      retrying(
        async () => {
          throw new Error('still down');
        },
        { initialMs: 10_000, signal: stop.signal },
      ),
    ).rejects.toThrow('still down');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('tries once, and throws, when its signal has already aborted', async () => {
    const stop = new AbortController();
    stop.abort();
    let calls = 0;
    await expect(
      retrying(
        async () => {
          calls += 1;
          throw new Error('down');
        },
        { signal: stop.signal },
      ),
    ).rejects.toThrow('down');
    expect(calls).toBe(1);
  });
});
