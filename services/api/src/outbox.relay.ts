import { and, count, inArray, isNull } from 'drizzle-orm';
import type { Kafka } from 'kafkajs';
import { topics } from '@herald/contracts';
import { outbox, type DatabaseHandle } from '@herald/db';
import { byTopic, HeraldPartitioner, RenewingProducer } from '@herald/kafka';
import { backoffPause, type Logger } from '@herald/service-kit';
import { outboxPublishDelay, outboxPublished } from './metrics';

export interface OutboxRelayOptions {
  /** Its pool runs each round's transaction; its db the backlog count. */
  database: DatabaseHandle;
  kafka: Kafka;
  logger: Logger;
  /** Rows claimed and published per round; default 500. */
  batchSize?: number;
  /**
   * Shortest time between the starts of two rounds unless the last one was full; default 100 ms.
   * Rows written one after the other then go out a few at a time instead of one round (a
   * transaction and a Kafka request) each, at the price of at most this much latency.
   */
  lingerMs?: number;
  /** Look at the outbox this often without a wake, for rows another replica left; default 1 s. */
  pollIntervalMs?: number;
  /** Longest pause between attempts while Kafka or Postgres fail; default 5 s. */
  maxBackoffMs?: number;
}

const TOPIC_NAMES = topics.map((t) => t.name);

/** A claimed row as the claim query returns it (bigint ids as strings, as pg gives them). */
interface ClaimedRow {
  id: string;
  topic: string;
  key: string;
  payload: unknown;
  headers: Record<string, string>;
  created_at: Date;
}

/**
 * Publishes the transactional outbox to Kafka: unpublished rows in id order, in batches, with an
 * idempotent producer (acks from all in-sync replicas), then marks them published. It wakes when
 * its own api has committed a row (`wake()`) and on a poll, and never spins. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so several api replicas can run it; a key whose earlier rows another
 * replica holds waits for them, so one key's events keep their order. When Kafka is down rows
 * stay unpublished and the relay retries with capped backoff.
 *
 * The wake is a call, not a NOTIFY: PostgreSQL serializes the commits of every transaction that
 * notifies, flushes included, and a signup that notified waited for all the others' flushes. A
 * replica that stops between its commit and its round leaves rows that any replica's next poll
 * takes.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly lingerMs: number;
  private readonly maxBackoffMs: number;
  private readonly producer: RenewingProducer;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private woken = false;
  private resume: (() => void) | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.lingerMs = options.lingerMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    // A new producer after any failed round: see RenewingProducer.
    this.producer = new RenewingProducer(() =>
      options.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // murmur2 of the key, as Java clients partition: one key, one partition.
        createPartitioner: HeraldPartitioner,
        allowAutoTopicCreation: false,
        // Bounded, so a dead broker fails the round and the relay's own backoff takes over.
        retry: { retries: 5, maxRetryTime: this.maxBackoffMs },
      }),
    );
  }

  /** Rounds in a row that failed (0 when the last one published or found nothing). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Starts polling and publishing in the background. */
  start(): void {
    if (this.loop) return;
    this.pollTimer = setInterval(() => this.wake(), this.pollIntervalMs);
    this.pollTimer.unref();
    this.loop = this.run();
  }

  /** Asks for a round now: a row was committed, or the poll is due. */
  wake(): void {
    this.woken = true;
    this.resume?.();
  }

  /** Rows written but not published yet (of Herald's topics: the rows the relay publishes). */
  async backlog(): Promise<number> {
    const [row] = await this.options.database.db
      .select({ n: count() })
      .from(outbox)
      .where(and(isNull(outbox.publishedAt), inArray(outbox.topic, TOPIC_NAMES)));
    return row?.n ?? 0;
  }

  /**
   * One round: takes up to a batch of unpublished rows (locked and marked published in one
   * statement), publishes them, commits. Returns how many it published; throws when Kafka or
   * Postgres fail, and the rollback leaves the rows unpublished. Plain prepared statements on a
   * pooled client: begin, take, commit.
   */
  async publishBatch(): Promise<number> {
    // Connected before any row is locked: an unreachable Kafka fails the round at once.
    await this.producer.connect();
    const client = await this.options.database.pool.connect();
    let released = false;
    try {
      await client.query('begin');
      // Unpublished rows below ours that we did not claim are held by another replica: our rows
      // of the same keys must wait for them (left unmarked, unpublished), or those keys' events
      // would go out of order. The statement's snapshot sees every claimed row unpublished.
      // A row for a topic Herald does not own would fail every batch it is in; it stays behind.
      const { rows } = await client.query<ClaimedRow>({
        name: 'herald-outbox-take',
        text: `with claimed as (
                 select id, key from outbox
                 where published_at is null and topic = any($1::text[])
                 order by id limit $2
                 for update skip locked),
               ready as (
                 select c.id from claimed c
                 where not exists (select 1 from outbox o
                                   where o.published_at is null and o.key = c.key and o.id < c.id
                                     and o.id not in (select id from claimed)))
               update outbox o set published_at = now() from ready r where o.id = r.id
               returning o.id, o.topic, o.key, o.payload, o.headers, o.created_at`,
        values: [TOPIC_NAMES, this.batchSize],
      });
      // RETURNING has no order: one key's events go out in the order they were written.
      rows.sort((a, b) => a.id.length - b.id.length || (a.id < b.id ? -1 : 1));
      if (rows.length > 0) {
        // The payload was validated against its contract when the row was written.
        const messages = rows.map((row) => ({ topic: row.topic, message: { key: row.key, value: JSON.stringify(row.payload), headers: row.headers } }));
        await this.producer.send({ acks: -1, topicMessages: byTopic(messages) });
        const sentAt = Date.now();
        for (const row of rows) {
          outboxPublished.inc({ topic: row.topic });
          outboxPublishDelay.observe({ topic: row.topic }, Math.max(0, sentAt - row.created_at.getTime()) / 1000);
        }
      }
      await client.query('commit');
      return rows.length;
    } catch (error) {
      // A connection that failed mid-transaction is not handed out again.
      await client.query('rollback').catch(() => {
        released = true;
        client.release(true);
      });
      throw error;
    } finally {
      if (!released) client.release();
    }
  }

  /** Stops: finishes the round in flight (waiting at most `timeoutMs`), then disconnects. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopping = true;
    clearInterval(this.pollTimer);
    this.resume?.();
    if (this.loop) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.loop, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    await this.producer.disconnect();
  }

  private async run(): Promise<void> {
    let lastRound = Number.NEGATIVE_INFINITY;
    let lastFull = false;
    while (!this.stopping) {
      const linger = lastRound + this.lingerMs - performance.now();
      if (!lastFull && linger > 0) await this.pause(linger);
      if (this.stopping) break;
      this.woken = false;
      let published: number;
      lastRound = performance.now();
      try {
        published = await this.publishBatch();
        lastFull = published >= this.batchSize;
        if (this.failures > 0) this.options.logger.info({ published }, 'outbox relay publishing again');
        this.failures = 0;
      } catch (error) {
        this.failures += 1;
        const delayMs = backoffPause(this.failures, { initialMs: 250, maxMs: this.maxBackoffMs });
        this.options.logger.warn(
          { err: error, failures: this.failures, retryInMs: delayMs },
          'outbox relay could not publish; rows stay in the outbox',
        );
        await this.pause(delayMs);
        continue;
      }
      // A full batch means more rows may be waiting; otherwise sleep until woken.
      if (published < this.batchSize) await this.pause();
    }
  }

  /** Waits for a wake or stop; with `ms`, a backoff that only stop cuts short. */
  private pause(ms?: number): Promise<void> {
    if (this.stopping || (ms === undefined && this.woken)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.resume = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(finish, ms);
      this.resume = ms === undefined ? finish : () => this.stopping && finish();
    });
  }
}
