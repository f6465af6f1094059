import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { byTopic, RenewingProducer } from '@herald/kafka';
import { retrying } from '@herald/service-kit';
import { carriesTraceContext, traceHeaders } from '@herald/telemetry';
import { Coalescer } from './coalescer';
import type { OwedMessage, OwedRow, ProcessedStore } from './processed.store';

/** How old an owed row must be before the sweep takes it: its own process publishes it sooner. */
const LEFT_OVER_AFTER_MS = 15_000;
/** How often the sweep looks for left-over rows. */
const SWEEP_INTERVAL_MS = 15_000;

/** The messages with the active trace context in their headers, unless they carry one already. */
export function withTraceContext(owed: readonly OwedMessage[]): OwedMessage[] {
  const trace = traceHeaders();
  return owed.map(({ topic, message }) => ({
    topic,
    message: carriesTraceContext(message.headers ?? {}) ? message : { ...message, headers: { ...message.headers, ...trace } },
  }));
}

/**
 * Publishes what settled events owe: right after they settle, in one Kafka request with the
 * others of the moment (acks from all in-sync replicas, an idempotent producer), and, for rows a
 * stopped or crashed process left behind, from a sweep at start and every few seconds.
 *
 * One request at a time, and a new producer after any failed one (see RenewingProducer).
 */
export class OwedPublisher {
  private readonly sends: Coalescer<OwedMessage[]>;
  private readonly producer: RenewingProducer;
  /** Owed rows this process is publishing itself: the sweep leaves them alone. */
  private readonly inFlight = new Set<string>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> = Promise.resolve();

  constructor(
    createProducer: () => Producer,
    private readonly store: ProcessedStore,
    private readonly logger: Logger,
    lingerMs: number,
  ) {
    this.producer = new RenewingProducer(createProducer);
    this.sends = new Coalescer((items) => this.sendTogether(items.flat()), 500, lingerMs, 1);
  }

  /**
   * Sends messages, trying again while Kafka is away, until they are out (true) or `signal`
   * aborts (false). Never rejects.
   */
  async sendUntil(messages: OwedMessage[], signal: AbortSignal): Promise<boolean> {
    try {
      await retrying(() => this.sends.add(messages), {
        signal,
        onFailure: (error, failures, retryInMs) => {
          if (failures === 1 || failures % 10 === 0) this.logger.warn({ err: error, failures, retryInMs }, 'could not publish; trying again');
        },
      });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Publishes an owed row, until it is out or `signal` aborts (a stop: the row stays in
   * consumer_outbox for the sweep of the group's next consumer). Never rejects.
   */
  async publish(row: OwedRow, signal: AbortSignal): Promise<void> {
    this.inFlight.add(row.id);
    try {
      if (await this.sendUntil(row.messages, signal)) this.store.published(row.id);
      else this.logger.info({ owedId: row.id }, 'stopping: what a settled event owes is left in consumer_outbox for the next run');
    } finally {
      this.inFlight.delete(row.id);
    }
  }

  /**
   * Sweeps now, taking every row of the group (at start this process has none of its own in
   * flight), then every SWEEP_INTERVAL_MS the rows older than LEFT_OVER_AFTER_MS, until stop().
   */
  async start(): Promise<void> {
    await this.producer.connect();
    this.sweep(0);
    this.sweepTimer = setInterval(() => this.sweep(LEFT_OVER_AFTER_MS), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.sweeping;
    await this.store.flushDeletions().catch((error: unknown) => this.logger.warn({ err: error }, 'could not delete published owed rows; the next sweep sends them again'));
    await this.producer.disconnect();
  }

  /** Publishes the rows left over by a process of the group that stopped before publishing them. */
  private sweep(olderThanMs: number): void {
    this.sweeping = this.sweeping.then(async () => {
      try {
        for (;;) {
          const published = await this.store.publishLeftOver(olderThanMs, [...this.inFlight], (rows) => this.sends.add(rows.flatMap((r) => r.messages)));
          if (published > 0) this.logger.info({ published }, 'published what settled events of a stopped process owed');
          if (published < 500) return;
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'could not publish left-over owed messages; trying again later');
      }
    });
  }

  private async sendTogether(items: OwedMessage[]): Promise<void> {
    await this.producer.send({ acks: -1, topicMessages: byTopic(items) });
  }
}
