/**
 * The longest a fetch waits at the broker for a first message. An idle consumer fetches this
 * often; a retry partition resumed while such a fetch is under way waits for it to end.
 */
export const IDLE_FETCH_WAIT_MS = 100;

/** How long after a fetch starts the next may start: what comes meanwhile goes in one fetch. */
export const FETCH_PACE_MS = 50;

/**
 * How a consumer paced at `paceMs` fetches: answered at the first message, or after
 * IDLE_FETCH_WAIT_MS with none, or after the pace when that is longer (a consumer that may take
 * its time with what comes needs no more idle fetches than full ones).
 */
export function pacedFetches(paceMs: number): { minBytes: number; maxWaitTimeInMs: number } {
  return { minBytes: 1, maxWaitTimeInMs: Math.max(IDLE_FETCH_WAIT_MS, paceMs) };
}

/**
 * Paces a consumer's fetches by its work rather than the clock. kafkajs starts the next fetch
 * once every batch of the last one is handled; a fetch with a short fixed wait (so that a message
 * waits little) is then made some 20 times a second, idle or not, and each one costs the consumer
 * and the broker for every partition it names. Here a fetch is answered at the first message, or
 * after IDLE_FETCH_WAIT_MS with none, and a batch that has messages holds the next fetch until
 * FETCH_PACE_MS after its own started: under load a fetch still gathers what came in that time,
 * and idle a consumer fetches a few times a second.
 */
export class FetchPacer {
  private lastStart = Number.NEGATIVE_INFINITY;

  /** `clock` in milliseconds, monotonic. */
  constructor(
    private readonly paceMs: number = FETCH_PACE_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** A fetch went to a broker (kafkajs' FETCH_START). */
  fetchStarted(): void {
    this.lastStart = this.clock();
  }

  /**
   * How long a batch just handled holds the next fetch back. A batch does not know which broker's
   * fetch brought it, so this counts from the latest fetch started: with several brokers a batch
   * may wait for a later fetch than its own, never longer than the pace.
   */
  holdMs(): number {
    return Math.max(0, this.lastStart + this.paceMs - this.clock());
  }
}
