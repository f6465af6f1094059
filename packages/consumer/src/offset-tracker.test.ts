import { OffsetTracker, type Tracked } from './offset-tracker';

const take = (tracker: OffsetTracker, offset: number, partition = 0): Tracked => {
  const tracked = tracker.take('t', partition, offset);
  if (!tracked) throw new Error(`offset ${offset} not taken`);
  return tracked;
};

describe('OffsetTracker', () => {
  it('commits up to the first message still in progress, and past it once it finishes', () => {
    const tracker = new OffsetTracker();
    const [m10, m11, m12] = [10, 11, 12].map((o) => take(tracker, o)) as [Tracked, Tracked, Tracked];
    expect(tracker.committable()).toEqual([]);
    tracker.complete(m11);
    tracker.complete(m12);
    // 10 is still being handled: nothing after it may be committed.
    expect(tracker.committable()).toEqual([]);
    expect(tracker.inProgress()).toBe(1);
    tracker.complete(m10);
    expect(tracker.committable()).toEqual([{ topic: 't', partition: 0, offset: '13' }]);
    expect(tracker.inProgress()).toBe(0);
  });

  it('offers an offset once until the run moves again', () => {
    const tracker = new OffsetTracker();
    tracker.complete(take(tracker, 0));
    const first = tracker.committable();
    tracker.committed(first);
    expect(tracker.committable()).toEqual([]);
    tracker.complete(take(tracker, 1));
    expect(tracker.committable()).toEqual([{ topic: 't', partition: 0, offset: '2' }]);
  });

  it('keeps partitions apart and commits only those owned', () => {
    const tracker = new OffsetTracker();
    take(tracker, 5, 0);
    tracker.complete(take(tracker, 7, 1));
    tracker.complete(take(tracker, 3, 2));
    expect(tracker.committable()).toEqual([
      { topic: 't', partition: 1, offset: '8' },
      { topic: 't', partition: 2, offset: '4' },
    ]);
    expect(tracker.committable((_topic, partition) => partition !== 1)).toEqual([{ topic: 't', partition: 2, offset: '4' }]);
  });

  it('refuses an offset fetched again while it or a later one is taken', () => {
    const tracker = new OffsetTracker();
    const m4 = take(tracker, 4);
    take(tracker, 5);
    expect(tracker.take('t', 0, 4)).toBeUndefined();
    expect(tracker.take('t', 0, 5)).toBeUndefined();
    tracker.complete(m4);
    expect(tracker.take('t', 0, 4)).toBeUndefined();
    expect(tracker.take('t', 0, 6)).toBeDefined();
  });

  it('forgets on reset, and ignores the end of a message taken before it', () => {
    const tracker = new OffsetTracker();
    const old = take(tracker, 1);
    tracker.reset();
    // Fetched again from the committed offset after a rejoin: taken anew.
    const again = take(tracker, 1);
    tracker.complete(old);
    expect(tracker.committable()).toEqual([]);
    tracker.complete(again);
    expect(tracker.committable()).toEqual([{ topic: 't', partition: 0, offset: '2' }]);
  });

  it('takes the end of a partition handled in order outside it', () => {
    const tracker = new OffsetTracker();
    tracker.finishedThrough('retry', 0, 41);
    expect(tracker.committable()).toEqual([{ topic: 'retry', partition: 0, offset: '42' }]);
    expect(tracker.finishedUpTo('retry', 0)).toBe(42);
    tracker.finishedThrough('retry', 0, 40);
    expect(tracker.finishedUpTo('retry', 0)).toBe(42);
    take(tracker, 0);
    expect(() => tracker.finishedThrough('t', 0, 0)).toThrow('in progress');
  });

  it('keeps its memory bounded over a long run', () => {
    const tracker = new OffsetTracker();
    for (let offset = 0; offset < 10_000; offset += 1) tracker.complete(take(tracker, offset));
    expect(tracker.inProgress()).toBe(0);
    expect(tracker.finishedUpTo('t', 0)).toBe(10_000);
  });
});
