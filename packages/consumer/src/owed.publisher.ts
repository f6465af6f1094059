import type { Logger } from 'pino';
import { byTopic, type BatchSender } from '@herald/kafka';
import { retrying } from '@herald/service-kit';
import { carriesTraceContext, traceHeaders } from '@herald/telemetry';
import type { OwedMessage, OwedRow, ProcessedStore } from './processed.store';

/** How old an owed row must be before the sweep takes it: its own process publishes it sooner. */
const LEFT_OVER_AFTER_MS = 15_000;
/** How often the sweep looks for left-over rows. */
const SWEEP_INTERVAL_MS = 15_000;
/** Sends (owed rows, dead letters) in one Kafka request at most. */
const MAX_SENDS_A_REQUEST = 500;
/** Sends waiting past which a settle waits for room: a consumer outrunning Kafka slows down. */
const MAX_QUEUED = 5000;
/**
 * The longest a retry or a dead letter waits for others (at most the publisher's linger): a retry
 * is due at the time it carries, and the retry topic's reader wakes once it is out. They are few,
 * so their requests cost little.
 */
export const URGENT_LINGER_MS = 50;

/** The messages with the active trace context in their headers, unless they carry one already. */
export function withTraceContext(owed: readonly OwedMessage[]): OwedMessage[] {
  const trace = traceHeaders();
  return owed.map(({ topic, message }) => ({
    topic,
    message: carriesTraceContext(message.headers ?? {}) ? message : { ...message, headers: { ...message.headers, ...trace } },
  }));
}

/** What the publisher sends with: a RenewingProducer (a new producer after any failed send). */
export interface OwedSender extends BatchSender {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

interface Queued {
  messages: OwedMessage[];
  /** performance.now() by which it goes out: its linger from when it was queued. */
  due: number;
  done: (out: boolean) => void;
}

/** How a send waits: `urgent` for retries and dead letters (see URGENT_LINGER_MS). */
export interface SendOptions {
  signal?: AbortSignal;
  urgent?: boolean;
}

/** Resolves false when `signal` aborts before `work` settles. */
function unlessAborted(work: Promise<boolean>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then((out) => {
      signal.removeEventListener('abort', onAbort);
      resolve(out);
    });
  });
}

/**
 * Publishes what settled events owe, in the background: each send is queued as its event settles
 * and goes out, in the order queued, in one Kafka request with everything queued before it is due
 * (`lingerMs` after it was queued, URGENT_LINGER_MS for retries and dead letters; acks from all
 * in-sync replicas, an idempotent producer). A request that
 * fails is tried again, whole, before anything queued after it: the order holds through a Kafka
 * outage. Rows a stopped or crashed process left behind go out from a sweep at start and every
 * few seconds.
 *
 * One request at a time.
 */
export class OwedPublisher {
  private readonly queue: Queued[] = [];
  /** The earliest `due` in the queue. */
  private nextDue = Number.POSITIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (performance.now()). */
  private timerAt = Number.POSITIVE_INFINITY;
  private sending: Promise<void> | undefined;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  /** A stop: nothing lingers any more, and a request Kafka refuses is not tried again. */
  private readonly stopping = new AbortController();
  /** Owed rows this process is publishing itself: the sweep leaves them alone. */
  private readonly inFlight = new Set<string>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> = Promise.resolve();

  constructor(
    private readonly producer: OwedSender,
    private readonly store: Pick<ProcessedStore, 'published' | 'flushDeletions' | 'publishLeftOver'>,
    private readonly logger: Logger,
    private readonly lingerMs: number,
  ) {}

  /**
   * Queues messages to go out with the rest. Resolves true once Kafka has them, false when a stop
   * gave up on them (Kafka refused them meanwhile) or `signal` aborted first. Never rejects.
   */
  send(messages: OwedMessage[], { signal, urgent = false }: SendOptions = {}): Promise<boolean> {
    const out = new Promise<boolean>((done) => {
      const due = performance.now() + (urgent ? Math.min(this.lingerMs, URGENT_LINGER_MS) : this.lingerMs);
      this.queue.push({ messages, due, done });
      this.nextDue = Math.min(this.nextDue, due);
      this.schedule();
    });
    return signal ? unlessAborted(out, signal) : out;
  }

  /**
   * Queues an owed row; once it is out its deletion rides with a later settle write. A row a stop
   * gave up on stays in consumer_outbox for the sweep of the group's next consumer. Resolves as
   * `send`.
   */
  async publish(row: OwedRow, urgent = false): Promise<boolean> {
    this.inFlight.add(row.id);
    const out = await this.send(row.messages, { urgent });
    this.inFlight.delete(row.id);
    if (out) this.store.published(row.id);
    else this.logger.info({ owedId: row.id }, 'stopping: what a settled event owes is left in consumer_outbox for the next run');
    return out;
  }

  /** Resolves once fewer than MAX_QUEUED sends wait (at once, but while Kafka lags), or `signal` aborts. */
  room(signal: AbortSignal): Promise<void> {
    if (this.queue.length < MAX_QUEUED || signal.aborted) return Promise.resolve();
    const waited = new Promise<boolean>((resolve) => this.roomWaiters.push(() => resolve(true)));
    return unlessAborted(waited, signal).then(() => undefined);
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

  /** Sends what is queued at once (once: what Kafka refuses is left to the sweep), then disconnects. */
  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.sweeping;
    this.stopping.abort();
    this.schedule();
    if (this.sending || this.queue.length > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.store.flushDeletions().catch((error: unknown) => this.logger.warn({ err: error }, 'could not delete published owed rows; the next sweep sends them again'));
    await this.producer.disconnect();
  }

  /** Sets the timer for the next request: when the first send is due, or now when a request is full. */
  private schedule(): void {
    if (this.sending) return;
    if (this.queue.length === 0) {
      for (const idle of this.idleWaiters.splice(0)) idle();
      return;
    }
    const now = this.stopping.signal.aborted || this.queue.length >= MAX_SENDS_A_REQUEST;
    const at = now ? performance.now() : this.nextDue;
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.sending = this.sendHead().finally(() => {
        this.sending = undefined;
        this.schedule();
      });
    }, Math.max(0, at - performance.now()));
  }

  private async sendHead(): Promise<void> {
    const batch = this.queue.splice(0, MAX_SENDS_A_REQUEST);
    this.nextDue = this.queue.reduce((earliest, q) => Math.min(earliest, q.due), Number.POSITIVE_INFINITY);
    this.wakeRoomWaiters();
    try {
      await retrying(() => this.producer.send({ acks: -1, topicMessages: byTopic(batch.flatMap((q) => q.messages)) }), {
        signal: this.stopping.signal,
        onFailure: (error, failures, retryInMs) => {
          if (failures === 1 || failures % 10 === 0) this.logger.warn({ err: error, failures, retryInMs }, 'could not publish; trying again');
        },
      });
      for (const q of batch) q.done(true);
    } catch {
      // Stopping, and Kafka refused: nothing queued goes out of order, so nothing more goes.
      for (const q of [...batch, ...this.queue.splice(0)]) q.done(false);
      this.nextDue = Number.POSITIVE_INFINITY;
      this.wakeRoomWaiters();
    }
  }

  private wakeRoomWaiters(): void {
    if (this.queue.length < MAX_QUEUED) for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /** Publishes the rows left over by a process of the group that stopped before publishing them. */
  private sweep(olderThanMs: number): void {
    this.sweeping = this.sweeping.then(async () => {
      try {
        for (;;) {
          const published = await this.store.publishLeftOver(olderThanMs, [...this.inFlight], async (rows) => {
            if (!(await this.send(rows.flatMap((r) => r.messages)))) throw new Error('stopped before the left-over rows went out');
          });
          if (published > 0) this.logger.info({ published }, 'published what settled events of a stopped process owed');
          if (published < 500) return;
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'could not publish left-over owed messages; trying again later');
      }
    });
  }
}
