import { Coalescer, LookupCoalescer } from './coalescer';

describe('Coalescer', () => {
  it('hands what is added in one turn to one flush, and settles every caller with it', async () => {
    const flushed: number[][] = [];
    const coalescer = new Coalescer<number>(async (items) => {
      flushed.push(items);
    });
    await Promise.all([1, 2, 3].map((n) => coalescer.add(n)));
    await coalescer.add(4);
    expect(flushed).toEqual([[1, 2, 3], [4]]);
  });

  it('flushes at once when maxItems are waiting', async () => {
    const flushed: number[][] = [];
    const coalescer = new Coalescer<number>(async (items) => {
      flushed.push(items);
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => coalescer.add(n)));
    expect(flushed).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('with maxInFlight, gathers what comes during a flush into the next one', async () => {
    const flushed: number[][] = [];
    let release: () => void = () => undefined;
    const coalescer = new Coalescer<number>(
      async (items) => {
        flushed.push(items);
        if (items[0] === 1) await new Promise<void>((resolve) => (release = resolve));
      },
      500,
      0,
      1,
    );
    const first = coalescer.add(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3].map((n) => coalescer.add(n));
    await new Promise((resolve) => setImmediate(resolve));
    const last = coalescer.add(4);
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toEqual([[1]]);
    release();
    await Promise.all([first, ...later, last]);
    expect(flushed).toEqual([[1], [2, 3, 4]]);
  });

  it('rejects every caller of a failed flush, and the next flush goes on', async () => {
    let fail = true;
    const coalescer = new Coalescer<string>(async () => {
      if (fail) throw new Error('broker down');
    });
    const results = await Promise.allSettled([coalescer.add('a'), coalescer.add('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('broker down'));
    fail = false;
    await expect(coalescer.add('c')).resolves.toBeUndefined();
  });

  it('rejects the callers when flush throws before returning a promise', async () => {
    const coalescer = new Coalescer<string>(() => {
      throw new Error('synchronous');
    });
    await expect(coalescer.add('a')).rejects.toThrow('synchronous');
  });

  it('with a linger, gathers what is added until it passes after the first item', async () => {
    jest.useFakeTimers();
    try {
      const flushed: number[][] = [];
      const coalescer = new Coalescer<number>(async (items) => {
        flushed.push(items);
      }, 500, 10);
      const first = coalescer.add(1);
      jest.advanceTimersByTime(4);
      const second = coalescer.add(2);
      jest.advanceTimersByTime(5);
      expect(flushed).toEqual([]);
      jest.advanceTimersByTime(1);
      await Promise.all([first, second]);
      const third = coalescer.add(3);
      jest.advanceTimersByTime(10);
      await third;
      expect(flushed).toEqual([[1, 2], [3]]);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('LookupCoalescer', () => {
  it('asks once for the keys of concurrent callers and answers each with its own', async () => {
    const asked: string[][] = [];
    const lookup = new LookupCoalescer<string, number>(async (keys) => {
      asked.push(keys);
      return new Map(keys.filter((k) => k.startsWith('seen')).map((k) => [k, k.length]));
    });
    const [a, b, none] = await Promise.all([lookup.ask(['seen-1', 'new-1']), lookup.ask(['new-2', 'seen-2', 'seen-1']), lookup.ask([])]);
    expect(asked).toEqual([['seen-1', 'new-1', 'new-2', 'seen-2']]);
    expect([...a]).toEqual([['seen-1', 6]]);
    expect([...b.keys()].sort()).toEqual(['seen-1', 'seen-2']);
    expect(none.size).toBe(0);
  });

  it('rejects every caller of a failed lookup', async () => {
    const lookup = new LookupCoalescer<string, number>(async () => {
      throw new Error('database down');
    });
    const results = await Promise.allSettled([lookup.ask(['a']), lookup.ask(['b'])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
