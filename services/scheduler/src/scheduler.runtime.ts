import type { Kafka } from 'kafkajs';
import { topics } from '@herald/contracts';
import type { DatabaseHandle } from '@herald/db';
import { RenewingProducer } from '@herald/kafka';
import { backoffPause } from '@herald/service-kit';
import { systemClock, type Clock } from './clock';
import { createDispatchProducer } from './dispatch.publishing';
import { Dispatcher, type DispatcherOptions } from './dispatcher';
import type { Env } from './env';
import { errorMessage, type SchedulerLogger } from './logger';
import { recordDispatched } from './metrics';
import { cleanupJobs, type Retentions } from './retention.cleanup';
import { RecurringJobs } from './recurring-jobs';
import { ScheduledMessagesStore } from './scheduled-messages.store';
import { SCHEDULER_BACKOFF } from './scheduler-backoff';

export interface SchedulerRuntimeOptions {
  env: Pick<Env, 'DISPATCH_BATCH_SIZE' | 'DISPATCH_MAX_IDLE_MS' | 'DISPATCH_LINGER_MS' | 'CLEANUP_CRON'> & Retentions;
  database: DatabaseHandle;
  kafka: Kafka;
  logger: SchedulerLogger;
  clock?: Clock;
  /** Called with each published batch and its lateness, besides the metrics. */
  onDispatched?: DispatcherOptions['onDispatched'];
}

/** The rows this scheduler dispatches: those for Herald's own topics. */
export const HERALD_TOPICS = { topics: topics.map((t) => t.name) };

/**
 * The scheduler's background work, built from its dependencies: the dispatcher (with its own
 * producer) and the recurring jobs (the cleanups of every table with a retention). `close()` stops both (the
 * batch in flight is finished) and disconnects the producer; close it before the database.
 */
export class SchedulerRuntime {
  readonly store: ScheduledMessagesStore;
  readonly dispatcher: Dispatcher;
  readonly jobs: RecurringJobs;
  readonly #producer: RenewingProducer;
  readonly #options: SchedulerRuntimeOptions;
  readonly #closing = new AbortController();
  #starting: Promise<void> | undefined;

  constructor(options: SchedulerRuntimeOptions) {
    this.#options = options;
    const clock = options.clock ?? systemClock;
    this.store = new ScheduledMessagesStore(options.database.db, { clock });
    this.#producer = new RenewingProducer(() => createDispatchProducer(options.kafka));
    this.dispatcher = new Dispatcher({
      store: this.store,
      producer: this.#producer,
      logger: options.logger,
      clock,
      batchSize: options.env.DISPATCH_BATCH_SIZE,
      maxIdleMs: options.env.DISPATCH_MAX_IDLE_MS,
      lingerMs: options.env.DISPATCH_LINGER_MS,
      onDispatched: (rows, latenessMs) => {
        recordDispatched(rows, latenessMs);
        options.onDispatched?.(rows, latenessMs);
      },
      // Herald's own topics only: rows for other topics belong to dispatchers of their own
      // (tests, partitioned deployments) and are left alone.
      filter: HERALD_TOPICS,
    });
    this.jobs = new RecurringJobs({ db: options.database.db, logger: options.logger, clock });
  }

  /**
   * Registers the recurring jobs and starts their loop; connects the producer and then starts
   * the dispatcher, in the background and retrying while Kafka is unreachable.
   */
  async start(): Promise<void> {
    const { env, database } = this.#options;
    for (const { name, run } of cleanupJobs(database.db, env)) await this.jobs.register(name, env.CLEANUP_CRON, run);
    this.jobs.start();
    this.#starting = this.#startDispatcher();
  }

  /** Stops dispatching and the recurring jobs, then disconnects the producer. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#starting;
    await Promise.all([this.dispatcher.stop(), this.jobs.stop()]);
    await this.#producer.disconnect();
  }

  async #startDispatcher(): Promise<void> {
    for (let failures = 1; !this.#closing.signal.aborted; failures += 1) {
      try {
        await this.#producer.connect();
        await this.dispatcher.start();
        return;
      } catch (error) {
        const delay = backoffPause(failures, SCHEDULER_BACKOFF);
        this.#options.logger.warn(
          { err: error, retryInMs: delay },
          `scheduler producer cannot connect yet: ${errorMessage(error)}`,
        );
        await systemClock.sleep(delay, this.#closing.signal);
      }
    }
  }
}
