/**
 * Where the scheduler gets the time from. Everything that compares against a due time or waits
 * for one goes through a Clock, so tests can skip days the way Temporal's time-skipping test
 * environment does (`ManualClock.advance`).
 */
export interface Clock {
  now(): Date;
  /**
   * Resolves after `ms` of this clock's time, or as soon as `signal` aborts. It never rejects:
   * a loop that sleeps checks its own stop signal after waking.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

// setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days); longer sleeps go in steps.
const MAX_TIMER_MS = 2_147_483_647;

/** The real time, and real timers. */
export const systemClock: Clock = Object.freeze({
  now: () => new Date(),
  sleep: (ms: number, signal?: AbortSignal) => sleepFor(ms, signal),
});

async function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  let left = ms;
  while (left > 0 && !signal?.aborted) {
    const step = Math.min(left, MAX_TIMER_MS);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, step);
      signal?.addEventListener('abort', done, { once: true });
    });
    left -= step;
  }
}

interface Sleeper {
  deadline: number;
  resolve: () => void;
}

/**
 * A clock for tests that only moves when told to. `advance(ms)` moves it forward and wakes every
 * sleeper whose deadline has passed, so a test can let three days go by in a moment.
 */
export class ManualClock implements Clock {
  #now: number;
  readonly #sleepers = new Set<Sleeper>();

  constructor(start: Date = new Date()) {
    this.#now = start.getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = {
        deadline: this.#now + ms,
        resolve: () => {
          this.#sleepers.delete(sleeper);
          signal?.removeEventListener('abort', sleeper.resolve);
          resolve();
        },
      };
      this.#sleepers.add(sleeper);
      signal?.addEventListener('abort', sleeper.resolve, { once: true });
    });
  }

  /** Moves the clock forward by `ms` and wakes the sleepers now due, earliest first. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance a clock by ${ms} ms`);
    this.#now += ms;
    const due = [...this.#sleepers]
      .filter((s) => s.deadline <= this.#now)
      .sort((a, b) => a.deadline - b.deadline);
    for (const sleeper of due) sleeper.resolve();
  }

  /** How many sleeps are waiting: lets a test wait until a loop has gone to sleep. */
  get sleeping(): number {
    return this.#sleepers.size;
  }
}
