import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { DatabaseHandle } from '@herald/db';
import { ensureTopics, HeraldPartitioner, RenewingProducer, waitForTopics } from '@herald/kafka';
import { backoffPause } from '@herald/service-kit';
import { FailureRouting } from './failure-routing';
import { FETCH_PACE_MS, FetchPacer } from './fetch-pacer';
import { GroupConsumer } from './group-consumer';
import type { HandlerRegistration } from './handler';
import { stringHeaders } from './kafka-headers';
import { KeyedLanes } from './keyed-lanes';
import { MessageProcessor, type Incoming, type Route } from './message.processor';
import { recordInProgress, recordLag } from './metrics';
import { OffsetCommitter } from './offset-committer';
import { partitionKey, type Tracked } from './offset-tracker';
import { OwedPublisher } from './owed.publisher';
import { deadLetterTopicName, retryTiers, retryTopicName } from './policy';
import { ProcessedStore } from './processed.store';
import { RetryBatches, type Fetched } from './retry-batches';
import { apply, RetryPartitionGate } from './retry-partition-gate';
import { endsOfNewPartitions, type Seek } from './start-positions';

/** How long what settled messages owe waits to go out with the rest by default: see `publishLingerMs`. */
export const PUBLISH_LINGER_MS = 1000;

export interface ConsumerRunnerOptions {
  kafka: Kafka;
  /** The consumer group; retry and dead-letter topics are named after it. */
  groupId: string;
  /** The channel named in status events. */
  channel: 'email' | 'slack' | 'scheduler';
  /** Holds processed_events, the once-per-group record. */
  database: DatabaseHandle;
  logger: Logger;
  /** Partitions kafkajs hands over in parallel; default 6 (every partition of a Herald topic). */
  partitionsConsumedConcurrently?: number;
  /**
   * Messages handled at once, default 64. Messages with the same key on a topic are always
   * handled one after the other, in offset order; only different keys overlap.
   */
  concurrency?: number;
  /**
   * Messages fetched and not finished at which fetching waits, default 8 × `concurrency`: how far
   * the consumer reads ahead of its slowest message.
   */
  maxInProgress?: number;
  /**
   * How long after a message finishes its partition's offset is committed, with those of every
   * other message finished meanwhile; default 1 s. Offsets only say where the group reads on
   * after a crash: a crash in between redelivers the message, which its processed mark then
   * skips. A rebalance and a stop commit at once.
   */
  commitLingerMs?: number;
  /**
   * How long the events settled handlers emit wait for what the others settling meanwhile owe, to
   * go out in one Kafka request; default PUBLISH_LINGER_MS (1 s). What is owed is already durable
   * (written with the outcome, within 5 ms of the attempt's end: the write closes the window in
   * which a crash repeats a side effect), and none of it is awaited in haste: the events Herald's
   * handlers emit (`email.sent`, `slack.message.sent`) feed the scheduler, whose follow-up is due
   * from the email's `sentAt`, and the timeline, a read model. Retries and dead letters wait at
   * most URGENT_LINGER_MS (50 ms): a retry is due at the time it carries. Each request costs the
   * broker and the producer about as much whatever it carries; a group whose readers are in a
   * hurry sets less.
   */
  publishLingerMs?: number;
  /**
   * Shortest time between the starts of two fetches that brought messages, default FETCH_PACE_MS
   * (50 ms): what comes meanwhile waits for the next fetch, and goes in it together. Each fetch
   * costs the consumer, the broker and the database a round whatever it brings, so a group whose
   * handlers need no haste (the scheduler's: what it stores falls due later) fetches less often.
   * An idle fetch waits at least as long.
   */
  fetchPaceMs?: number;
  /**
   * How long a stop or a rejoin waits for the attempts in progress, default 10 s; those still
   * running then are cut and left unfinished (the next consumer attempts them again).
   */
  stopGraceMs?: number;
  /** Clock and randomness, injectable for tests. */
  now?: () => number;
  random?: () => number;
  /**
   * Where a group without committed offsets starts: 'earliest' (default: a new service misses
   * nothing published before it first ran) or 'latest'.
   */
  start?: 'earliest' | 'latest';
}

/**
 * Consumes the topics of its handlers in one consumer group and gives every message one of
 * three ends without ever blocking its partition: handled (once per group, recorded in
 * processed_events), retried later through a retry topic of the group's own, or dead-lettered
 * with the full story. A message waits for its retry time by pausing its partition, never by
 * sleeping in a handler (a sleeping kafkajs consumer stops heartbeating and is evicted).
 *
 * Source topics are read ahead of their handling: kafkajs fetches again only once every batch of
 * its last fetch is processed, so a batch hands its messages to lanes (one per key: a key's
 * messages in order, different keys at once, up to `concurrency`) and returns, and the slowest
 * message of a fetch no longer holds back the next; a batch holds the next fetch only to let more
 * messages gather (FetchPacer). Offsets are committed by the runner, up to the
 * first message of each partition still in progress (an OffsetTracker). Before the consumer
 * rejoins its group (a rebalance) or stops, it finishes what it took and commits, so no other
 * member is handed a message this one is still handling.
 *
 * The kafkajs consumer is GroupConsumer's; what happens to one message, and why it happens once,
 * is MessageProcessor's. This class takes what the consumer fetches, hands each message to the
 * processor, and commits the offsets of those it finished.
 */
export class ConsumerRunner {
  private readonly registrations: HandlerRegistration[] = [];
  private readonly routes = new Map<string, Route>();
  private group: GroupConsumer | undefined;
  private readonly retryBatches: RetryBatches;
  /** A stop began: nothing new starts, what is owed and not yet out is left to the sweep. */
  private readonly stopping = new AbortController();
  /** The stop's grace ran out: attempts still running are cut. */
  private readonly cut = new AbortController();
  /** Partitions are being handed back (a rejoin): nothing new starts meanwhile. */
  private handingBack = false;
  private readonly now: () => number;
  private readonly store: ProcessedStore;
  private readonly publisher: OwedPublisher;
  private readonly processor: MessageProcessor;
  private readonly lanes: KeyedLanes;
  private readonly maxInProgress: number;
  private readonly stopGraceMs: number;
  private readonly offsets: OffsetCommitter;
  private readonly highWatermarks = new Map<string, string>();
  private readonly gate = new RetryPartitionGate((topic) => this.routes.get(topic)?.kind === 'retry');
  private readonly fetchPaceMs: number;
  private readonly pacer: FetchPacer;
  private stopGate: (() => void) | undefined;

  constructor(private readonly options: ConsumerRunnerOptions) {
    this.now = options.now ?? Date.now;
    this.offsets = new OffsetCommitter(() => this.consumer, options.logger, options.commitLingerMs ?? 1000);
    const linger = options.publishLingerMs ?? PUBLISH_LINGER_MS;
    this.fetchPaceMs = options.fetchPaceMs ?? FETCH_PACE_MS;
    this.pacer = new FetchPacer(this.fetchPaceMs);
    this.store = new ProcessedStore(options.database, options.groupId);
    // The Java client's partitioner, like every Herald producer: a key lands on the same partition.
    const producer = (): Producer =>
      options.kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 5 }, createPartitioner: HeraldPartitioner });
    this.publisher = new OwedPublisher(new RenewingProducer(producer), this.store, options.logger, linger);
    const routing = new FailureRouting(options.groupId, options.channel, this.now, options.random ?? Math.random);
    this.processor = new MessageProcessor(options.groupId, this.store, this.publisher, routing, options.logger, {
      stopping: this.stopping.signal,
      cut: this.cut.signal,
      mayStart: () => !this.stopping.signal.aborted && !this.handingBack,
      retryWritten: (topic) => apply(this.consumer, this.gate.wake(topic)),
    }, this.now);
    this.retryBatches = new RetryBatches({
      groupId: options.groupId,
      processor: this.processor,
      consumer: () => this.consumer,
      now: this.now,
      stopping: this.stopping.signal,
      finishedThrough: (topic, partition, offset) => {
        this.offsets.tracker.finishedThrough(topic, partition, offset);
        this.offsets.commitSoon();
      },
      gate: this.gate,
    });
    const concurrency = options.concurrency ?? 64;
    this.lanes = new KeyedLanes(concurrency);
    this.maxInProgress = options.maxInProgress ?? concurrency * 8;
    this.stopGraceMs = options.stopGraceMs ?? 10_000;
  }

  /** Adds a handler; one per topic in a group. Call before start(). */
  register(registration: HandlerRegistration): void {
    if (this.group) throw new Error('register handlers before start()');
    if (this.routes.has(registration.topic.name)) {
      throw new Error(`${this.options.groupId}: a second handler for ${registration.topic.name}`);
    }
    this.registrations.push(registration);
    this.routes.set(registration.topic.name, { registration, kind: 'source', redriven: false });
    for (const tier of retryTiers(registration.policy)) {
      this.routes.set(retryTopicName(this.options.groupId, registration.topic.name, tier), { registration, kind: 'retry', redriven: false });
    }
    this.routes.set(this.redriveTopic(registration), { registration, kind: 'retry', redriven: true });
  }

  /** Redriven dead letters come back through this topic, at their first attempt again. */
  redriveTopic(registration: HandlerRegistration): string {
    return `${this.options.groupId}.${registration.topic.name}.redrive`;
  }

  /**
   * The retry, redrive and dead-letter topics this group needs, with their partition counts: one
   * each. Every partition a group reads costs it on every fetch, full or empty (kafkajs decodes
   * and dispatches each; about 0.04 ms a partition a fetch here), and a group reads every retry
   * tier of every handler: with six partitions apiece and the default policy (seven tiers), the
   * scheduler's fetches carried 216 partitions, 192 of them retry and redrive partitions that are
   * nearly always empty (now 56, 32 of them). Failures are the
   * exception, their backoff paces them, and one partition of a tier is read in due order. An idle
   * one also rests out of the fetches (RetryPartitionGate).
   */
  ownTopics(): { name: string; partitions: number }[] {
    return this.registrations.flatMap((r) => [
      ...retryTiers(r.policy).map((tier) => ({ name: retryTopicName(this.options.groupId, r.topic.name, tier), partitions: 1 })),
      { name: this.redriveTopic(r), partitions: 1 },
      { name: deadLetterTopicName(this.options.groupId, r.topic.name), partitions: 1 },
    ]);
  }

  /** Creates the group's own topics, connects, subscribes and starts consuming. */
  async start(): Promise<void> {
    const { kafka, groupId } = this.options;
    const admin = kafka.admin();
    let seeks: Seek[] = [];
    await admin.connect();
    try {
      await ensureTopics(admin, this.ownTopics());
      await waitForTopics(admin, [...this.routes.keys()]);
      if (this.options.start === 'latest') seeks = await endsOfNewPartitions(admin, groupId, this.registrations.map((r) => r.topic.name));
    } finally {
      await admin.disconnect();
    }
    // What settled events of a stopped or crashed process of the group still owe goes out first.
    await this.publisher.start();
    this.group = new GroupConsumer({
      kafka,
      groupId,
      logger: this.options.logger,
      topics: [...this.routes.keys()],
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 6,
      fetchPaceMs: this.fetchPaceMs,
      stopping: this.stopping.signal,
      eachBatch: (payload) => this.onBatch(payload),
      // The gate closes an idle retry partition only once a fetch started after it opened is answered.
      fetchStarted: (nodeId) => {
        this.gate.fetchStarted(nodeId);
        this.pacer.fetchStarted();
      },
      fetchEnded: (nodeId) => this.gate.fetchEnded(nodeId),
      joined: (consumer, assignment) => {
        this.offsets.own(assignment);
        apply(consumer, this.gate.own(assignment));
        // The start positions of a 'latest' start, before any message came.
        this.offsets.commitSoon();
      },
      beforeRejoin: () => this.beforeRejoin(),
    });
    await this.group.start();
    await this.seek(seeks);
    this.stopGate = this.gate.run(() => this.consumer);
  }

  /** Where a new group starts ('latest'): committed at once, before any message came. */
  private async seek(seeks: readonly Seek[]): Promise<void> {
    for (const seek of seeks) {
      this.consumer?.seek(seek);
      // Committed with the others (kafkajs commits a seek only when it commits by itself), so a
      // restart reads on from here, even before a message came.
      this.offsets.tracker.finishedThrough(seek.topic, seek.partition, Number(seek.offset) - 1);
    }
    // At once: a restart before the commit would seek to the end again, past what came meanwhile.
    if (seeks.length > 0) await this.offsets.commit();
  }

  /** The kafkajs consumer running now (a new one after a crash). */
  private get consumer(): Consumer | undefined {
    return this.group?.current;
  }

  /** True once the consumer has joined its group and has its partitions (readiness). */
  isJoined(): boolean {
    return this.group?.isJoined() ?? false;
  }

  /**
   * Stops: no message starts any more, the attempts in progress finish and settle (those still
   * running after `stopGraceMs` are cut and left unfinished), the offsets of the finished messages
   * are committed, then it disconnects. What settled events owe and Kafka did not take by then
   * stays in consumer_outbox for the group's next consumer.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.stopGate?.();
    this.retryBatches.clear();
    this.offsets.stopTimer();
    if (!(await this.drain())) {
      this.options.logger.warn({ inProgress: this.lanes.size }, `stopping: attempts still running after ${this.stopGraceMs} ms are cut and left for the next consumer`);
      this.cut.abort();
      await this.lanes.idle();
    }
    await this.offsets.commit();
    await this.group?.stop();
    await this.publisher.stop();
  }

  /**
   * Before a rejoin (a rebalance): no message starts, the attempts in progress finish and settle,
   * the finished offsets are committed, and the bookkeeping starts again (the new assignment's
   * partitions are read from their committed offsets, so what was not started is fetched again).
   */
  private async beforeRejoin(): Promise<void> {
    this.handingBack = true;
    try {
      if (!(await this.drain())) this.options.logger.warn({ inProgress: this.lanes.size }, `rejoining the group: attempts still running after ${this.stopGraceMs} ms`);
      await this.offsets.commit();
      this.offsets.tracker.reset();
    } finally {
      this.handingBack = false;
    }
  }

  /** Waits for the lanes to empty, at most `stopGraceMs`; true when they did. */
  private async drain(): Promise<boolean> {
    if (this.lanes.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.stopGraceMs);
    });
    const idle = await Promise.race([this.lanes.idle().then(() => true), timedOut]);
    clearTimeout(timer);
    return idle;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const route = this.routes.get(payload.batch.topic);
    if (!route) return;
    const fetched = payload.batch.messages.map((message) => ({ message, headers: stringHeaders(message.headers) }));
    if (route.kind === 'retry') await this.retryBatches.handle(payload, route, fetched);
    else {
      await this.takeBatch(payload, route, fetched);
      // The next fetch waits for more to come, up to the pace (see FetchPacer).
      const hold = this.pacer.holdMs();
      if (hold > 0) await sleep(hold, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
  }

  /**
   * A batch of a source topic: its messages go to their lanes and the batch returns, so kafkajs
   * fetches on. When `maxInProgress` messages are taken and not finished, it waits (and
   * heartbeats) until fewer are: the consumer reads ahead, but only so far.
   */
  private async takeBatch(payload: EachBatchPayload, route: Route, fetched: readonly Fetched[]): Promise<void> {
    const { batch } = payload;
    const going = () => payload.isRunning() && !this.stopping.signal.aborted;
    while (this.lanes.size >= this.maxInProgress) {
      if (!going()) return;
      await Promise.race([this.lanes.whenBelow(this.maxInProgress), sleep(1000)]);
      await payload.heartbeat();
    }
    if (!going()) return;
    this.highWatermarks.set(partitionKey(batch.topic, batch.partition), batch.highWatermark);
    const taken: [Fetched, Tracked][] = [];
    for (const item of fetched) {
      const tracked = this.offsets.tracker.take(batch.topic, batch.partition, Number(item.message.offset));
      if (tracked) taken.push([item, tracked]);
    }
    if (taken.length > 0) {
      // One query for the batch, asked now and awaited by each message when its turn comes.
      const batchMarks = this.processor.marksAmong(taken.map(([f]) => f.headers));
      for (const [{ message, headers }, tracked] of taken) {
        // Keyless messages have no order to keep: each is a lane of its own.
        const lane = message.key ? `${batch.topic}\u0000${message.key.toString('base64')}` : `${batch.topic}\u0000${batch.partition}@${message.offset}`;
        const incoming: Incoming = { route, fromTopic: batch.topic, partition: batch.partition, message, headers, batchMarks };
        this.lanes.push(lane, () => this.finish(incoming, tracked));
      }
      recordInProgress(this.options.groupId, this.offsets.tracker.inProgress());
    }
    const last = fetched[fetched.length - 1];
    if (last) payload.resolveOffset(last.message.offset);
  }

  /**
   * Has the processor take a taken message to its end, then lets its partition's commit pass it.
   * A message the processor left unfinished because of a stop or a rejoin is fetched again by
   * whoever owns its partition next; one it left for a fault of its own is tried again here.
   */
  private async finish(incoming: Incoming, tracked: Tracked): Promise<void> {
    for (let failures = 1; !(await this.processor.process(incoming)); failures += 1) {
      if (this.stopping.signal.aborted || this.handingBack) return;
      await sleep(backoffPause(failures), undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
    this.offsets.tracker.complete(tracked);
    this.offsets.commitSoon();
    recordInProgress(this.options.groupId, this.offsets.tracker.inProgress());
    const next = this.offsets.tracker.finishedUpTo(tracked.topic, tracked.partition);
    const highWatermark = this.highWatermarks.get(partitionKey(tracked.topic, tracked.partition));
    if (next !== undefined && highWatermark !== undefined) recordLag(this.options.groupId, tracked.topic, tracked.partition, highWatermark, String(next));
  }
}
