import { KeyedLanes } from './keyed-lanes';

/** A task that records its start and end, and ends when released. */
function gated(log: string[], name: string): { task: () => Promise<void>; release: () => void } {
  let release: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    task: async () => {
      log.push(`start ${name}`);
      await ended;
      log.push(`end ${name}`);
    },
    release: () => release(),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Lane a gets a1 then a2, lane b gets b1. */
function twoLanes(concurrency: number) {
  const log: string[] = [];
  const lanes = new KeyedLanes(concurrency);
  const [a1, a2, b1] = ['a1', 'a2', 'b1'].map((name) => gated(log, name)) as [ReturnType<typeof gated>, ReturnType<typeof gated>, ReturnType<typeof gated>];
  lanes.push('a', a1.task);
  lanes.push('a', a2.task);
  lanes.push('b', b1.task);
  return { log, lanes, a1, a2, b1 };
}

describe('KeyedLanes', () => {
  it('runs one lane in order and different lanes at once', async () => {
    const { log, lanes, a1, a2, b1 } = twoLanes(4);
    await settle();
    expect(log).toEqual(['start a1', 'start b1']);
    b1.release();
    await settle();
    expect(log).toEqual(['start a1', 'start b1', 'end b1']);
    a1.release();
    await settle();
    expect(log).toEqual(['start a1', 'start b1', 'end b1', 'end a1', 'start a2']);
    a2.release();
    await lanes.idle();
    expect(lanes.size).toBe(0);
  });

  it('never runs more than its concurrency, and lets waiting lanes in as slots free', async () => {
    const log: string[] = [];
    const lanes = new KeyedLanes(2);
    const tasks = ['a', 'b', 'c', 'd'].map((name) => gated(log, name));
    tasks.forEach((t, i) => lanes.push(String(i), t.task));
    await settle();
    expect(log).toEqual(['start a', 'start b']);
    expect(lanes.size).toBe(4);
    tasks[1]?.release();
    await settle();
    expect(log).toEqual(['start a', 'start b', 'end b', 'start c']);
    tasks.forEach((t) => t.release());
    await lanes.idle();
    expect(log.filter((l) => l.startsWith('start'))).toHaveLength(4);
  });

  it('puts a lane that just ran behind the lanes already waiting', async () => {
    const { log, lanes, a1, a2, b1 } = twoLanes(1);
    a1.release();
    b1.release();
    a2.release();
    await lanes.idle();
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start a1', 'start b1', 'start a2']);
  });

  it('goes on with a lane after a task fails', async () => {
    const lanes = new KeyedLanes(1);
    const ran: string[] = [];
    lanes.push('a', () => Promise.reject(new Error('boom')));
    lanes.push('a', () => {
      throw new Error('sync boom');
    });
    lanes.push('a', async () => {
      ran.push('third');
    });
    await lanes.idle();
    expect(ran).toEqual(['third']);
    expect(lanes.size).toBe(0);
  });

  it('tells when fewer than n tasks are left', async () => {
    const log: string[] = [];
    const lanes = new KeyedLanes(8);
    const tasks = ['a', 'b', 'c'].map((name) => gated(log, name));
    tasks.forEach((t, i) => lanes.push(String(i), t.task));
    let below = false;
    void lanes.whenBelow(2).then(() => {
      below = true;
    });
    tasks[0]?.release();
    await settle();
    expect(below).toBe(false);
    tasks[1]?.release();
    await settle();
    expect(below).toBe(true);
    await expect(lanes.whenBelow(5)).resolves.toBeUndefined();
    tasks[2]?.release();
    await lanes.idle();
  });

  it('refuses a concurrency below one', () => {
    expect(() => new KeyedLanes(0)).toThrow('concurrency must be a positive integer');
  });
});
