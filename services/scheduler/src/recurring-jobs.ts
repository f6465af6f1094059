import { and, asc, eq, inArray, lte, min, sql } from 'drizzle-orm';
import { recurringJobs, type Database } from '@herald/db';
import { backoffPause, type RetryOptions } from '@herald/service-kit';
import { systemClock, type Clock } from './clock';
import { nextCronTime } from './cron';
import { errorMessage, type SchedulerLogger } from './logger';
import { SCHEDULER_BACKOFF } from './scheduler-backoff';

/** What a recurring job gets when it runs. */
export interface RecurringJobContext {
  /** The clock's time the run started. */
  now: Date;
  /** The due time this run is for (may be earlier than `now` after downtime). */
  scheduledFor: Date;
  /** Aborted when the runner stops: a long job should return (or throw) soon after. */
  signal: AbortSignal;
}

/** A recurring job's work; what it returns is recorded as its outcome (`ok: deleted 12`). */
export type RecurringJobRun = (context: RecurringJobContext) => Promise<string | number | void>;

/** One run, as recorded in recurring_jobs. */
export interface RecurringJobRecord {
  name: string;
  scheduledFor: Date;
  ranAt: Date;
  outcome: string;
  nextRunAt: Date;
}

export interface RecurringJobsOptions {
  db: Database;
  logger: SchedulerLogger;
  clock?: Clock;
  /** Longest sleep without a look at the table; default 60 s. */
  maxIdleMs?: number;
  /** After a failed run, try again this much later (or at the next cron time, if sooner); default 5 min. */
  failureRetryMs?: number;
  /** Sleep while a due job is being run by another replica; default 10 s. */
  contendedWaitMs?: number;
  /** Backoff while Postgres fails (real time). */
  backoff?: Pick<RetryOptions, 'initialMs' | 'maxMs'>;
  /** Called after each run, for metrics. */
  onRun?: (record: RecurringJobRecord) => void;
}

/**
 * Recurring jobs on cron expressions (UTC), kept in the `recurring_jobs` table so that with any
 * number of replicas each due time runs once: a replica claims a due job's row with FOR UPDATE
 * SKIP LOCKED, runs it while holding the lock, records the outcome and the next run time (the
 * next cron time after now: downtime never causes a burst of catch-up runs), and commits. A
 * replica that dies mid-run rolls back, and the job is run again by the next one to look.
 */
export class RecurringJobs {
  readonly #db: Database;
  readonly #logger: SchedulerLogger;
  readonly #clock: Clock;
  readonly #options: RecurringJobsOptions;
  readonly #runs = new Map<string, RecurringJobRun>();
  readonly #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #wake: AbortController | undefined;

  constructor(options: RecurringJobsOptions) {
    this.#options = options;
    this.#db = options.db;
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Registers `run` as job `name` on `cron`. The row is created with its next run time if new;
   * if the cron changed its next run time is recomputed from now; otherwise it is left alone.
   */
  async register(name: string, cron: string, run: RecurringJobRun): Promise<{ nextRunAt: Date }> {
    const nextRunAt = nextCronTime(cron, this.#clock.now());
    await this.#db
      .insert(recurringJobs)
      .values({ name, cron, nextRunAt })
      .onConflictDoUpdate({
        target: recurringJobs.name,
        set: { cron: sql`excluded.cron`, nextRunAt: sql`excluded.next_run_at` },
        setWhere: sql`${recurringJobs.cron} <> excluded.cron`,
      });
    this.#runs.set(name, run);
    this.#wake?.abort();
    const [row] = await this.#db
      .select({ nextRunAt: recurringJobs.nextRunAt })
      .from(recurringJobs)
      .where(eq(recurringJobs.name, name));
    return { nextRunAt: row?.nextRunAt ?? nextRunAt };
  }

  /** Runs every registered job that is due and not being run elsewhere, once each; returns the runs. */
  async runDue(): Promise<RecurringJobRecord[]> {
    const records: RecurringJobRecord[] = [];
    for (;;) {
      const record = await this.#runOne(records.map((r) => r.name));
      if (!record) return records;
      records.push(record);
      this.#options.onRun?.(record);
    }
  }

  /** Starts the loop in the background: run what is due, sleep until the next due time, repeat. */
  start(): void {
    if (this.#loop) throw new Error('recurring jobs already started');
    this.#loop = this.#run();
  }

  /** Stops the loop; a job in flight is told through its signal and awaited. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
  }

  async #runOne(done: readonly string[]): Promise<RecurringJobRecord | undefined> {
    const names = [...this.#runs.keys()].filter((n) => !done.includes(n));
    if (names.length === 0) return undefined;
    return this.#db.transaction(async (tx) => {
      const now = this.#clock.now();
      const [row] = await tx
        .select()
        .from(recurringJobs)
        .where(and(inArray(recurringJobs.name, names), lte(recurringJobs.nextRunAt, now)))
        .orderBy(asc(recurringJobs.nextRunAt))
        .limit(1)
        .for('update', { skipLocked: true });
      const run = row && this.#runs.get(row.name);
      if (!row || !run) return undefined;
      let outcome: string;
      let nextRunAt: Date;
      try {
        const result = await run({
          now,
          scheduledFor: row.nextRunAt,
          signal: this.#stopping.signal,
        });
        outcome = result === undefined ? 'ok' : `ok: ${result}`;
        nextRunAt = nextCronTime(row.cron, this.#clock.now());
      } catch (error) {
        // Stopped mid-run: roll back, so the job stays due and the next replica runs it.
        if (this.#stopping.signal.aborted) throw error;
        outcome = `failed: ${errorMessage(error)}`.slice(0, 1000);
        const retryAt = now.getTime() + (this.#options.failureRetryMs ?? 300_000);
        nextRunAt = new Date(Math.min(retryAt, nextCronTime(row.cron, now).getTime()));
        this.#logger.error(
          { err: error, job: row.name, nextRunAt },
          `recurring job ${row.name} failed`,
        );
      }
      await tx
        .update(recurringJobs)
        .set({ lastRunAt: now, lastOutcome: outcome, nextRunAt })
        .where(eq(recurringJobs.name, row.name));
      this.#logger.info({ job: row.name, outcome, nextRunAt }, `recurring job ${row.name} ran`);
      return { name: row.name, scheduledFor: row.nextRunAt, ranAt: now, outcome, nextRunAt };
    });
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopping.signal.aborted) {
      try {
        const passStartedAt = this.#clock.now().getTime();
        await this.runDue();
        failures = 0;
        const next = await this.#nextRunAt();
        const now = this.#clock.now().getTime();
        let deadline = now + (this.#options.maxIdleMs ?? 60_000);
        if (next !== null && next.getTime() <= passStartedAt) {
          // Due, yet we could not claim it: another replica is running it.
          deadline = Math.min(deadline, now + (this.#options.contendedWaitMs ?? 10_000));
        } else if (next !== null) {
          deadline = Math.min(deadline, next.getTime());
        }
        await this.#sleepUntil(deadline);
      } catch (error) {
        if (this.#stopping.signal.aborted) break;
        failures += 1;
        const delay = backoffPause(failures, { ...SCHEDULER_BACKOFF, ...this.#options.backoff });
        this.#logger.error(
          { err: error, retryInMs: delay },
          `recurring jobs failed: ${errorMessage(error)}`,
        );
        await systemClock.sleep(delay, this.#stopping.signal);
      }
    }
  }

  async #nextRunAt(): Promise<Date | null> {
    const names = [...this.#runs.keys()];
    if (names.length === 0) return null;
    const [row] = await this.#db
      .select({ next: min(recurringJobs.nextRunAt) })
      .from(recurringJobs)
      .where(inArray(recurringJobs.name, names));
    return row?.next ?? null;
  }

  async #sleepUntil(deadline: number): Promise<void> {
    const ms = deadline - this.#clock.now().getTime();
    if (ms <= 0) return;
    this.#wake = new AbortController();
    try {
      await this.#clock.sleep(ms, AbortSignal.any([this.#wake.signal, this.#stopping.signal]));
    } finally {
      this.#wake = undefined;
    }
  }
}
