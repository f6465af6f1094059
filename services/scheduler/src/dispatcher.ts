import type { BatchSender } from '@herald/kafka';
import { backoffPause, type RetryOptions } from '@herald/service-kit';
import { systemClock, type Clock } from './clock';
import { prepareDispatch, publishDue, type Prepared } from './dispatch.publishing';
import { errorMessage, type SchedulerLogger } from './logger';
import type { ClaimFilter, ScheduledMessage, ScheduledMessagesStore } from './scheduled-messages.store';
import { SCHEDULER_BACKOFF } from './scheduler-backoff';

export interface DispatcherOptions {
  /** The store it takes rows from; what is scheduled through it wakes the dispatcher. */
  store: ScheduledMessagesStore;
  /**
   * Sends each round's rows: a RenewingProducer over createDispatchProducer (a new producer after
   * a failed round); the caller connects and disconnects it.
   */
  producer: BatchSender;
  logger: SchedulerLogger;
  clock?: Clock;
  /** Rows claimed and published per transaction; default 500. */
  batchSize?: number;
  /**
   * Shortest time between the starts of two rounds unless the last one was full; default 200 ms.
   * Rows falling due one after the other then go out a few at a time instead of one round (a
   * transaction and a Kafka request) each, at the price of at most this much lateness.
   */
  lingerMs?: number;
  /**
   * Longest sleep without a look at the table; default 30 s. Rows scheduled through another store
   * (another replica's) are found within this.
   */
  maxIdleMs?: number;
  /** Only claim these rows (tests, partitioned deployments). */
  filter?: ClaimFilter;
  /** Called after each committed batch with the rows published and their lateness (publish − due), in ms. */
  onDispatched?: (rows: readonly ScheduledMessage[], latenessMs: readonly number[]) => void;
  /**
   * Topics besides Herald's own that rows may target (a test's own topic). A row for any other
   * topic is cancelled: Kafka here never creates topics on first use, so publishing to an unknown
   * one would fail the whole batch again and again and stall the queue behind it.
   */
  allowTopic?: (topic: string) => boolean;
  /** Backoff while Kafka or Postgres fail (real time, whatever the clock). */
  backoff?: Pick<RetryOptions, 'initialMs' | 'maxMs'>;
  /** A publish taking longer than this fails the batch, which is rolled back; default 30 s. */
  publishTimeoutMs?: number;
  /** Sleep while due rows are held by another dispatcher; default 1 s. */
  contendedWaitMs?: number;
}

/** What one take-publish-commit cycle did. */
export interface BatchOutcome {
  claimed: number;
  dispatched: number;
  /** Rows cancelled because their value does not match their topic's contract. */
  rejected: number;
  /** The clock's time the rows were claimed as of. */
  claimedAt: Date;
  /** Due time of the earliest pending row left (null: none), as the claim saw it. */
  next: Date | null;
}

export type DispatcherPhase =
  'new' | 'dispatching' | 'sleeping' | 'backing-off' | 'stopping' | 'stopped';

/** A take-publish-commit cycle in flight. */
interface Round {
  /** Rows it took, once it has (0 when the take failed: `done` says why). */
  claimed: Promise<number>;
  /** Settles once it has published; rejects when it failed before. The next round waits for it. */
  published: Promise<void>;
  done: Promise<BatchOutcome>;
}

/**
 * Publishes scheduled messages when they fall due. Each batch is one transaction: take due rows
 * (locked FOR UPDATE SKIP LOCKED and marked dispatched in one statement), publish them, commit.
 * Any number of dispatchers may run against one table; each row is published by the one that
 * took it. Through a backlog, a round takes its rows while the one before publishes (see #run).
 *
 * At-least-once: if the publish fails, the process dies or the commit fails after Kafka
 * acknowledged the publish, the transaction rolls back, the rows are pending again and are
 * published again by whoever takes them next. A consumer deduplicates by event id. No row is
 * ever committed as dispatched without having been acknowledged by all in-sync replicas first.
 *
 * Between batches it sleeps until the next due time (at most `maxIdleMs`), and wakes early when its
 * store schedules a row due before then, or on stop: it never polls in a loop. Not on a NOTIFY:
 * PostgreSQL serializes the commits of every transaction that notifies, flushes included.
 */
export class Dispatcher {
  readonly #store: ScheduledMessagesStore;
  readonly #producer: BatchSender;
  readonly #logger: SchedulerLogger;
  readonly #clock: Clock;
  readonly #batchSize: number;
  readonly #maxIdleMs: number;
  readonly #lingerMs: number;
  readonly #filter: ClaimFilter;
  readonly #options: DispatcherOptions;
  readonly #stopping = new AbortController();
  #unsubscribe: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #phase: DispatcherPhase = 'new';
  #wakeRequested = false;
  #sleep: { deadline: number; wake: AbortController } | undefined;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#producer = options.producer;
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#batchSize = options.batchSize ?? 500;
    this.#maxIdleMs = options.maxIdleMs ?? 30_000;
    this.#lingerMs = options.lingerMs ?? 200;
    this.#filter = options.filter ?? {};
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1)
      throw new RangeError('batchSize must be a positive integer');
    if (!(this.#maxIdleMs > 0)) throw new RangeError('maxIdleMs must be positive');
  }

  /** What the loop is doing now (for readiness and tests). */
  get phase(): DispatcherPhase {
    return this.#phase;
  }

  /** Starts the loop in the background, woken by what its store schedules. */
  async start(): Promise<void> {
    if (this.#loop) throw new Error('dispatcher already started');
    this.#unsubscribe = this.#store.onScheduled((dueAt) => this.#onScheduled(dueAt.getTime()));
    this.#loop = this.#run();
  }

  /** Stops: the batch in flight is finished and committed, then the loop ends. */
  async stop(): Promise<void> {
    if (this.#phase === 'stopped') return;
    this.#phase = 'stopping';
    this.#unsubscribe?.();
    this.#stopping.abort();
    this.#sleep?.wake.abort();
    await this.#loop;
    this.#phase = 'stopped';
  }

  /** Runs one take-publish-commit cycle now. */
  async dispatchOnce(): Promise<BatchOutcome> {
    return this.#startRound(undefined).done;
  }

  /**
   * Starts a round: take rows, wait until `after` (the round before it has published), publish,
   * commit. Rows then reach Kafka in the order they were taken, while this round's take overlaps
   * the last one's publish. A round whose predecessor failed to publish publishes nothing and
   * rolls back: its rows are pending again, to go out after the others.
   */
  #startRound(after: Promise<void> | undefined): Round {
    const claimed = Promise.withResolvers<number>();
    const published = Promise.withResolvers<void>();
    // Nobody may wait for it (the last round of a backlog): its failure is `done`'s to report.
    published.promise.catch(() => undefined);
    const done = this.#dispatch(after, claimed.resolve, published.resolve);
    done.catch((error: unknown) => {
      claimed.resolve(0);
      published.reject(error);
    });
    return { claimed: claimed.promise, published: published.promise, done };
  }

  async #dispatch(
    after: Promise<void> | undefined,
    onClaimed: (count: number) => void,
    onPublished: () => void,
  ): Promise<BatchOutcome> {
    const claimedAt = this.#clock.now();
    const { sent, refused, claimed, at, next } = await this.#store.transaction(async (tx) => {
      const { rows, next } = await tx.claimBatch(claimedAt, this.#batchSize, this.#filter);
      onClaimed(rows.length);
      const prepared: Prepared[] = [];
      const refused: { row: ScheduledMessage; error: unknown }[] = [];
      for (const row of rows) {
        try {
          prepared.push(prepareDispatch(row, this.#options.allowTopic));
        } catch (error) {
          refused.push({ row, error });
        }
      }
      await after;
      if (prepared.length > 0) {
        await publishDue(this.#producer, prepared, this.#clock.now(), this.#options.publishTimeoutMs ?? 30_000);
      }
      onPublished();
      const at = this.#clock.now();
      await tx.cancelClaimed(
        refused.map((r) => r.row.id),
        at,
      );
      return { sent: prepared.map((p) => p.row), refused, claimed: rows.length, at, next };
    });
    // Bad data must neither block the queue nor vanish silently: logged once its cancel committed.
    for (const { row, error } of refused) {
      this.#logger.error(
        {
          scheduledMessageId: String(row.id),
          scheduleKey: row.scheduleKey,
          topic: row.topic,
          err: error,
        },
        `scheduled message ${row.id} cancelled: ${errorMessage(error)}`,
      );
    }
    if (sent.length > 0 && this.#options.onDispatched) {
      try {
        this.#options.onDispatched(
          sent,
          sent.map((row) => Math.max(0, at.getTime() - row.dueAt.getTime())),
        );
      } catch (error) {
        this.#logger.warn({ err: error }, 'onDispatched hook failed');
      }
    }
    return { claimed, dispatched: sent.length, rejected: refused.length, claimedAt, next };
  }

  /**
   * Rounds one after the other while rows are due. While a backlog lasts (each round full), the
   * next round takes its rows while the last one publishes: PostgreSQL's work on the take and
   * ours on the publish overlap, two rounds at most.
   */
  async #run(): Promise<void> {
    let failures = 0;
    // Real time, whatever the clock: the linger spaces out rounds, it is not a due time.
    let lastRound = Number.NEGATIVE_INFINITY;
    let lastFull = false;
    // A full round still publishing or committing, which the next one overlaps.
    let previous: Round | undefined;
    while (!this.#stopping.signal.aborted) {
      const linger = lastRound + this.#lingerMs - performance.now();
      if (!lastFull && linger > 0) await systemClock.sleep(linger, this.#stopping.signal);
      if (this.#stopping.signal.aborted) break;
      this.#wakeRequested = false;
      let round: Round | undefined;
      try {
        this.#setPhase('dispatching');
        lastRound = performance.now();
        round = this.#startRound(previous?.published);
        const claimed = await round.claimed;
        const overlapped = previous !== undefined;
        if (previous) {
          const before = previous;
          previous = undefined;
          await before.done;
        }
        lastFull = claimed >= this.#batchSize;
        if (lastFull && !this.#stopping.signal.aborted) {
          previous = round;
          failures = 0;
          continue;
        }
        const batch = await round.done;
        failures = 0;
        // Its look at what is left ran while the round before held rows: look again, alone.
        if (overlapped) continue;
        if (this.#wakeRequested || this.#stopping.signal.aborted) continue;
        await this.#sleepUntil(this.#wakeTime(batch.next, batch.claimedAt));
      } catch (error) {
        // No transaction may outlive the loop's attention: both rounds settle before the backoff.
        await Promise.allSettled([previous?.done, round?.done]);
        previous = undefined;
        lastFull = false;
        failures += 1;
        const delay = backoffPause(failures, { ...SCHEDULER_BACKOFF, ...this.#options.backoff });
        this.#logger.error(
          { err: error, failures, retryInMs: delay },
          `scheduler dispatch failed: ${errorMessage(error)}`,
        );
        this.#setPhase('backing-off');
        // Real time: this waits for Kafka or Postgres to recover, not for a due time.
        await systemClock.sleep(delay, this.#stopping.signal);
      }
    }
    if (previous) {
      await previous.done.catch((error: unknown) =>
        this.#logger.error(
          { err: error },
          `scheduler dispatch failed while stopping: ${errorMessage(error)}`,
        ),
      );
    }
  }

  /** When to look again: the next due time, capped by maxIdle; a little later if others hold it. */
  #wakeTime(next: Date | null, claimedAt: Date): number {
    const now = this.#clock.now().getTime();
    if (next === null) return now + this.#maxIdleMs;
    // Due already when we claimed, yet not ours: another dispatcher holds the row and will
    // publish it (or die, and its transaction roll back). Look again shortly, do not spin.
    if (next.getTime() <= claimedAt.getTime()) {
      return now + Math.min(this.#options.contendedWaitMs ?? 1000, this.#maxIdleMs);
    }
    return Math.min(next.getTime(), now + this.#maxIdleMs);
  }

  async #sleepUntil(deadline: number): Promise<void> {
    const ms = deadline - this.#clock.now().getTime();
    if (ms <= 0) return;
    const wake = new AbortController();
    this.#sleep = { deadline, wake };
    this.#setPhase('sleeping');
    try {
      await this.#clock.sleep(ms, AbortSignal.any([wake.signal, this.#stopping.signal]));
    } finally {
      this.#sleep = undefined;
    }
  }

  #setPhase(phase: DispatcherPhase): void {
    if (!this.#stopping.signal.aborted) this.#phase = phase;
  }

  #onScheduled(dueAt: number): void {
    // A row due after we wake anyway changes nothing.
    if (this.#sleep && dueAt >= this.#sleep.deadline) return;
    this.#wakeRequested = true;
    this.#sleep?.wake.abort();
  }
}
