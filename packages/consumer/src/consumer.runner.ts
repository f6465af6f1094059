import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import {
  decodeEvent,
  Headers,
  newEvent,
  NotificationStatus,
  RetryHeaders,
  type EventOf,
  type Topic,
} from '@herald/contracts';
import type { DatabaseHandle } from '@herald/db';
import {
  beforeRejoin,
  ensureTopics,
  FETCH_BATCHING,
  HeraldPartitioner,
  sendTraced,
  toMessage,
  waitForTopics,
  watchJoined,
} from '@herald/kafka';
import {
  activeTraceId,
  carriesTraceContext,
  contextFromHeaders,
  inSpan,
  markFailed,
  SpanKind,
  TRACE_HEADER_NAMES,
  traceHeaders,
  type Span,
} from '@herald/telemetry';
import { Coalescer, LookupCoalescer } from './coalescer';
import { KeyedLanes } from './keyed-lanes';
import { OffsetTracker, partitionKey, type Tracked } from './offset-tracker';
import { RecentMap } from './recent-map';
import { AttemptTimeoutError, classify, GivenUpError, type Classification } from './errors';
import type {
  HandlerContext,
  HandlerRegistration,
  NotificationStatusValue,
  OutcomeRecord,
} from './handler';
import {
  deadLetterTopicName,
  retryTiers,
  retryTopicName,
  tierFor,
  withJitter,
  backoffDelay,
} from './policy';
import { recordInProgress, recordLag, recordOutcome } from './metrics';

/** An event id as the contracts define it; other header values are not asked about. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Largest stack kept in a dead letter, in characters. */
const MAX_STACK = 4000;
const MAX_ERROR_MESSAGE = 2000;

/** Messages of a retry topic's batch handled at once (they come in due order, a few at a time). */
const RETRY_BATCH_CONCURRENCY = 8;
/** How long a rejoin or a stop waits for the messages in progress before it goes on regardless. */
const DRAIN_TIMEOUT_MS = 20_000;
/** Marks this consumer wrote lately, checked first: a copy fetched while the first was in progress. */
const RECENT_MARKS = 10_000;

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
   * other message finished meanwhile; default 50 ms. A crash in between redelivers the message:
   * skipped when it was handled, attempted again when it had gone to a retry topic.
   */
  commitLingerMs?: number;
  /**
   * How long the events and the processed mark of a handled message wait for those of the others
   * being handled, to go out in one Kafka request and one statement; default 5 ms.
   */
  lingerMs?: number;
  /** Clock and randomness, injectable for tests. */
  now?: () => number;
  random?: () => number;
  /**
   * Where a group without committed offsets starts: 'earliest' (default: a new service misses
   * nothing published before it first ran) or 'latest'.
   */
  start?: 'earliest' | 'latest';
}

/** Where a message of a topic goes: its handler, and whether it waits in a retry topic. */
interface Route {
  registration: HandlerRegistration;
  kind: 'source' | 'retry';
}

/** One message on its way through a handler: where it came from and how far it got. */
interface Delivery {
  registration: HandlerRegistration;
  message: KafkaMessage;
  headers: Record<string, string>;
  /** The topic, partition, offset and time it was first published with. */
  origin: { topic: string; partition: number; offset: string; timestamp: string };
  attempt: number;
  firstSeenAt: number;
  firstAttemptAt: number;
}

/** What processed_events says of an event for this group: handled, or an attempt waiting in a retry topic. */
interface Mark {
  outcome: 'handled' | 'retried' | 'dead-lettered';
  /** For 'retried': the attempt sent to the retry topic. */
  attempt: number | null;
}

/**
 * What one query for a whole batch learnt of processed_events: the event ids it asked about and
 * the marks found (plus those written since, in this batch).
 */
interface BatchDedupe {
  asked: Set<string>;
  marks: Map<string, Mark>;
}

/** A fetched message with its headers as strings (parsed once). */
interface Fetched {
  message: KafkaMessage;
  headers: Record<string, string>;
}

/** A message as fetched: where it was read, its headers as strings, and what its batch knows. */
interface Incoming {
  route: Route;
  fromTopic: string;
  partition: number;
  message: KafkaMessage;
  headers: Record<string, string>;
  /** What processed_events said about the batch's events; undefined: ask about this one alone. */
  dedupe?: Promise<BatchDedupe | undefined>;
}

/** A delivery whose value passed its contract. */
interface ValidDelivery extends Delivery {
  event: EventOf<Topic>;
  logger: Logger;
}

type StatusExtra = { detail?: string; nextAt?: Date; error?: Classification };

/** A Kafka message's headers as strings. */
function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

function intHeader(headers: Record<string, string>, name: string): number | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
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
 * message of a fetch no longer holds back the next. Offsets are committed by the runner, up to the
 * first message of each partition still in progress (an OffsetTracker). Before the consumer
 * rejoins its group (a rebalance) or stops, it finishes what it took and commits, so no other
 * member is handed a message this one is still handling.
 *
 * Order of effects for one message: handler side effect → events it emitted → processed mark →
 * offset commit. A crash in between means the message is seen again; the processed mark then
 * skips it, except in the window between the side effect and the mark (at-least-once; the email
 * Message-ID derived from the event id lets a receiver spot that rare duplicate). A failed
 * attempt: retry-topic send → mark of the attempt now waiting (`retried`, with its number) →
 * offset commit; an older attempt seen again is then skipped (a redrive is not: it starts anew).
 */
export class ConsumerRunner {
  private readonly registrations: HandlerRegistration[] = [];
  private readonly routes = new Map<string, Route>();
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly stopping = new AbortController();
  private readonly now: () => number;
  private readonly random: () => number;
  private joined: () => boolean = () => false;
  private readonly sends: Coalescer<{ topic: string; message: Message }[]>;
  private readonly marks: Coalescer<{ eventId: string } & Mark>;
  /**
   * The marks of some events for this group (processed_events: handled, or retried), asked
   * together with those of the other batches starting at the same moment.
   */
  private readonly marksOf = new LookupCoalescer<string, Mark>((eventIds) => this.lookUpMarks(eventIds));
  private readonly lanes: KeyedLanes;
  private readonly maxInProgress: number;
  private readonly tracker = new OffsetTracker();
  /** Marks written lately by this consumer, checked again when a message's turn comes. */
  private readonly recentMarks = new RecentMap<string, Mark>(RECENT_MARKS);
  private readonly highWatermarks = new Map<string, string>();
  /** The partitions of the last join ("topic\0partition"): only those are committed. */
  private owned = new Set<string>();
  private commitTimer: NodeJS.Timeout | undefined;
  private commits: Promise<void> = Promise.resolve();
  private removeRejoinHook: (() => void) | undefined;

  constructor(private readonly options: ConsumerRunnerOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    const linger = options.lingerMs ?? 5;
    this.sends = new Coalescer((items) => this.sendTogether(items), 500, linger);
    this.marks = new Coalescer((items) => this.markTogether(items), 500, linger);
    const concurrency = options.concurrency ?? 64;
    this.lanes = new KeyedLanes(concurrency);
    this.maxInProgress = options.maxInProgress ?? concurrency * 8;
  }

  /** Adds a handler; one per topic in a group. Call before start(). */
  register(registration: HandlerRegistration): void {
    if (this.consumer) throw new Error('register handlers before start()');
    if (this.routes.has(registration.topic.name)) {
      throw new Error(`${this.options.groupId}: a second handler for ${registration.topic.name}`);
    }
    this.registrations.push(registration);
    this.routes.set(registration.topic.name, { registration, kind: 'source' });
    for (const tier of retryTiers(registration.policy)) {
      this.routes.set(retryTopicName(this.options.groupId, registration.topic.name, tier), {
        registration,
        kind: 'retry',
      });
    }
    this.routes.set(this.redriveTopic(registration), { registration, kind: 'retry' });
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
   * exception, their backoff paces them, and one partition of a tier is read in due order.
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
    let seeks: { topic: string; partition: number; offset: string }[] = [];
    await admin.connect();
    try {
      await ensureTopics(admin, this.ownTopics());
      await waitForTopics(admin, [...this.routes.keys()]);
      if (this.options.start === 'latest') seeks = await this.endsOfNewPartitions(admin);
    } finally {
      await admin.disconnect();
    }
    // The Java client's partitioner, like every Herald producer: a key lands on the same partition.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      retry: { retries: 5 },
      createPartitioner: HeraldPartitioner,
    });
    await this.producer.connect();
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      ...FETCH_BATCHING,
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    this.joined = watchJoined(consumer);
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.owned = new Set(Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((p) => partitionKey(topic, p))));
      this.removeRejoinHook?.();
      this.removeRejoinHook = beforeRejoin(groupId, payload.memberId, () => this.beforeRejoin());
      // The start positions of a 'latest' start, before any message came.
      this.commitSoon();
    });
    await consumer.connect();
    // Right after topics are created the broker may still deny knowing them for a moment
    // (a retriable UNKNOWN_TOPIC_OR_PARTITION): try again rather than fail the start.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await consumer.subscribe({ topics: [...this.routes.keys()], fromBeginning: true });
        break;
      } catch (error) {
        if (!(error as { retriable?: boolean }).retriable || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
    await consumer.run({
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 6,
      eachBatchAutoResolve: false,
      // The runner commits: up to the first message still in progress of each partition.
      autoCommit: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
    for (const seek of seeks) {
      consumer.seek(seek);
      // Committed with the others (kafkajs commits a seek only when it commits by itself), so a
      // restart reads on from here, even before a message came.
      this.tracker.finishedThrough(seek.topic, seek.partition, Number(seek.offset) - 1);
    }
  }

  /**
   * For 'latest': the end of every source partition on which the group has no committed offset, read
   * before the consumer joins. Seeking there (instead of kafkajs' own 'latest' lookup at the first
   * fetch) means an event published once the service reports ready is always seen.
   */
  private async endsOfNewPartitions(admin: Admin): Promise<{ topic: string; partition: number; offset: string }[]> {
    // Only source topics: a group's own retry and redrive topics hold nothing but its own
    // messages, which it must read from the start.
    const sources = this.registrations.map((r) => r.topic.name);
    const committed = await admin.fetchOffsets({ groupId: this.options.groupId, topics: sources });
    const seeks: { topic: string; partition: number; offset: string }[] = [];
    for (const { topic, partitions } of committed) {
      const fresh = new Set(partitions.filter((p) => p.offset === '-1').map((p) => p.partition));
      if (fresh.size === 0) continue;
      for (const end of await admin.fetchTopicOffsets(topic)) {
        if (fresh.has(end.partition)) seeks.push({ topic, partition: end.partition, offset: end.high });
      }
    }
    return seeks;
  }

  /** True once the consumer has joined its group and has its partitions (readiness). */
  isJoined(): boolean {
    return this.joined();
  }

  /**
   * Stops: attempts in progress are aborted (and go to a retry topic), messages not started are
   * left for the next run, the offsets of the finished ones are committed, then it disconnects.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    clearTimeout(this.commitTimer);
    await this.drain('stopping');
    await this.commit();
    this.removeRejoinHook?.();
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  /**
   * Before a rejoin: finishes the messages taken, commits, and starts the bookkeeping again (the
   * partitions of the new assignment are read from their committed offsets).
   */
  private async beforeRejoin(): Promise<void> {
    await this.drain('rejoining the group');
    await this.commit();
    this.tracker.reset();
  }

  /** Waits for the lanes to empty, at most DRAIN_TIMEOUT_MS. */
  private async drain(why: string): Promise<void> {
    if (this.lanes.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), DRAIN_TIMEOUT_MS);
    });
    const late = await Promise.race([this.lanes.idle().then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) this.options.logger.warn({ inProgress: this.lanes.size }, `${why}: messages still in progress after ${DRAIN_TIMEOUT_MS} ms; going on without them`);
  }

  /**
   * Commits the finished offsets of the partitions this member owns, after any commit already
   * under way. Never rejects: a failed commit is logged and tried again `commitLingerMs` later.
   */
  private commit(): Promise<void> {
    this.commits = this.commits.then(async () => {
      const consumer = this.consumer;
      const offsets = this.tracker.committable((topic, partition) => this.owned.has(partitionKey(topic, partition)));
      if (!consumer || offsets.length === 0) return;
      try {
        await consumer.commitOffsets(offsets);
        this.tracker.committed(offsets);
      } catch (error) {
        this.options.logger.warn({ err: error }, 'could not commit offsets; trying again');
        this.commitSoon();
      }
    });
    return this.commits;
  }

  /** Commits `commitLingerMs` from now, unless a commit is already due by then. */
  private commitSoon(): void {
    if (this.commitTimer || this.stopping.signal.aborted) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      void this.commit();
    }, this.options.commitLingerMs ?? 50);
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const route = this.routes.get(payload.batch.topic);
    if (!route) return;
    const fetched = payload.batch.messages.map((message) => ({ message, headers: stringHeaders(message.headers) }));
    if (route.kind === 'retry') await this.onRetryBatch(payload, route, fetched);
    else await this.takeBatch(payload, route, fetched);
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
      const tracked = this.tracker.take(batch.topic, batch.partition, Number(item.message.offset));
      if (tracked) taken.push([item, tracked]);
    }
    if (taken.length > 0) {
      // One query for the batch, asked now and awaited by each message when its turn comes.
      const dedupe = this.handledAmong(taken.map(([f]) => f.headers)).catch(() => undefined);
      for (const [{ message, headers }, tracked] of taken) {
        // Keyless messages have no order to keep: each is a lane of its own.
        const lane = message.key ? `${batch.topic}\u0000${message.key.toString('base64')}` : `${batch.topic}\u0000${batch.partition}@${message.offset}`;
        const incoming: Incoming = { route, fromTopic: batch.topic, partition: batch.partition, message, headers, dedupe };
        this.lanes.push(lane, () => this.finish(incoming, tracked));
      }
      recordInProgress(this.options.groupId, this.tracker.inProgress());
    }
    const last = fetched[fetched.length - 1];
    if (last) payload.resolveOffset(last.message.offset);
  }

  /**
   * Handles a taken message to one of its ends, then lets its partition's commit pass it. When
   * Kafka or PostgreSQL fails under it, it tries again (backing off) rather than skip it; when the
   * consumer stops first, it is left unfinished, to be fetched again by the next run.
   */
  private async finish(incoming: Incoming, tracked: Tracked): Promise<void> {
    for (let failures = 0; ; failures += 1) {
      if (this.stopping.signal.aborted) return;
      try {
        await this.process(incoming);
        break;
      } catch (error) {
        const { fromTopic: topic, partition, message } = incoming;
        this.options.logger.warn({ err: error, topic, partition, offset: message.offset }, 'could not finish a message; trying it again');
        // Cut short by a stop (the loop then leaves the message unfinished).
        await sleep(Math.min(250 * 2 ** failures, 10_000), undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
    this.tracker.complete(tracked);
    this.commitSoon();
    recordInProgress(this.options.groupId, this.tracker.inProgress());
    const next = this.tracker.finishedUpTo(tracked.topic, tracked.partition);
    const highWatermark = this.highWatermarks.get(partitionKey(tracked.topic, tracked.partition));
    if (next !== undefined && highWatermark !== undefined) recordLag(this.options.groupId, tracked.topic, tracked.partition, highWatermark, String(next));
  }

  /**
   * A batch of a retry or redrive topic: the messages due now are handled as a source batch's
   * are; the first one not due yet pauses the partition and seeks back to it, to come back when
   * it is due (a tier has one delay, so those after it are not due either).
   */
  private async onRetryBatch(payload: EachBatchPayload, route: Route, fetched: readonly Fetched[]): Promise<void> {
    const { batch } = payload;
    const now = this.now();
    const firstWaiting = fetched.findIndex((f) => (intHeader(f.headers, RetryHeaders.notBefore) ?? 0) > now);
    const due = firstWaiting < 0 ? fetched : fetched.slice(0, firstWaiting);
    if (due.length > 0) await this.handleConcurrently(payload, route, due);
    const waiting = fetched[firstWaiting];
    if (!waiting || !payload.isRunning() || payload.isStale()) return;
    // Not due yet: stop fetching this partition, come back to this very offset when it is.
    const wait = (intHeader(waiting.headers, RetryHeaders.notBefore) ?? now) - this.now();
    const resume = payload.pause();
    this.consumer?.seek({ topic: batch.topic, partition: batch.partition, offset: waiting.message.offset });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      resume();
    }, Math.max(0, wait));
    this.timers.add(timer);
    recordOutcome(this.options.groupId, {
      handler: route.registration.name,
      topic: batch.topic,
      outcome: 'deferred',
      attempt: intHeader(waiting.headers, RetryHeaders.attempt) ?? 1,
      durationMs: 0,
    });
  }

  /**
   * Handles the due messages of a retry topic's batch before the next fetch: those of different
   * keys concurrently, those of one key in offset order. The offset resolved (and committed) is
   * the end of the longest run of handled messages from the start, so a stop or a crash mid-batch
   * redelivers what was not finished (and the processed mark skips what was).
   */
  private async handleConcurrently(
    payload: EachBatchPayload,
    route: Route,
    fetched: readonly Fetched[],
  ): Promise<void> {
    const { batch } = payload;
    const lanes = new Map<string, Fetched[]>();
    for (const item of fetched) {
      // Keyless messages have no order to keep: each is a lane of its own.
      const lane = item.message.key ? item.message.key.toString('base64') : `offset:${item.message.offset}`;
      lanes.set(lane, [...(lanes.get(lane) ?? []), item]);
    }
    const dedupe = Promise.resolve(await this.handledAmong(fetched.map((f) => f.headers)));
    const done = new Set<string>();
    const running = () => payload.isRunning() && !payload.isStale();
    const failures = await forEachLimited([...lanes.values()], RETRY_BATCH_CONCURRENCY, async (lane) => {
      for (const { message, headers } of lane) {
        if (!running()) return;
        await this.process({ route, fromTopic: batch.topic, partition: batch.partition, message, headers, dedupe });
        done.add(message.offset);
        await payload.heartbeat();
      }
    });
    let last: string | undefined;
    for (const { message } of fetched) {
      if (!done.has(message.offset)) break;
      last = message.offset;
    }
    if (last !== undefined) {
      payload.resolveOffset(last);
      this.tracker.finishedThrough(batch.topic, batch.partition, Number(last));
      this.commitSoon();
      recordLag(this.options.groupId, batch.topic, batch.partition, batch.highWatermark, String(Number(last) + 1));
    }
    // A lane that failed (Kafka or Postgres unreachable) stopped at its message; kafkajs fetches
    // the batch again from the first unfinished offset.
    if (failures.length > 0) throw failures[0] as Error;
  }


  /**
   * Handles one message inside a `process <topic>` CONSUMER span whose parent is the context
   * its producer put in its headers, so that a signup's email, Slack message and follow-up are
   * one trace with the request that caused them. Log lines written meanwhile carry its ids.
   */
  private async process(incoming: Incoming): Promise<void> {
    const { route, fromTopic, partition, message, headers } = incoming;
    const attributes = {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': fromTopic,
      'messaging.destination.partition.id': String(partition),
      'messaging.consumer.group.name': this.options.groupId,
      'messaging.kafka.offset': Number(message.offset),
      'herald.handler': route.registration.name,
    };
    await inSpan(`process ${fromTopic}`, { kind: SpanKind.CONSUMER, parent: contextFromHeaders(headers), attributes }, (span) =>
      this.processInSpan(span, incoming),
    );
  }

  private async processInSpan(span: Span, incoming: Incoming): Promise<void> {
    const { route, fromTopic, partition, message, headers, dedupe } = incoming;
    const { registration } = route;
    const { policy } = registration;
    const started = this.now();
    const attempt = route.kind === 'retry' ? (intHeader(headers, RetryHeaders.attempt) ?? 1) : 1;
    const firstSeenAt = intHeader(headers, RetryHeaders.firstSeenAt) ?? Number(message.timestamp);
    const firstAttemptAt = intHeader(headers, RetryHeaders.firstAttemptAt) ?? started;
    span.setAttribute('herald.attempt', attempt);
    const record = (outcome: OutcomeRecord['outcome'], extra: Partial<OutcomeRecord> = {}): void => {
      span.setAttribute('herald.outcome', outcome);
      recordOutcome(this.options.groupId, {
        handler: registration.name,
        topic: registration.topic.name,
        outcome,
        attempt,
        durationMs: this.now() - started,
        ...extra,
      });
    };
    const origin = {
      topic: route.kind === 'source' ? fromTopic : (headers[RetryHeaders.originalTopic] ?? registration.topic.name),
      partition: route.kind === 'source' ? partition : (intHeader(headers, RetryHeaders.originalPartition) ?? partition),
      offset: route.kind === 'source' ? message.offset : (headers[RetryHeaders.originalOffset] ?? message.offset),
      timestamp: route.kind === 'source' ? message.timestamp : (headers[RetryHeaders.originalTimestamp] ?? message.timestamp),
    };

    const delivery: Delivery = { registration, message, headers, origin, attempt, firstSeenAt, firstAttemptAt };
    let event: EventOf<Topic>;
    try {
      event = decodeEvent(registration.topic, message.value);
    } catch (error) {
      markFailed(span, error);
      await this.deadLetter(delivery, classify(error, policy));
      record('dead-lettered', { errorType: 'CONTRACT_VIOLATION' });
      return;
    }
    span.setAttribute('messaging.message.id', event.id);
    // Not an event this handler acts on: nothing to do, so nothing to mark either.
    if (registration.accepts && !registration.accepts(event)) {
      record('ignored', { eventId: event.id });
      return;
    }
    const logger = this.options.logger.child({ handler: registration.name, eventId: event.id, attempt });
    const valid: ValidDelivery = { ...delivery, event, logger };

    const known = await dedupe;
    // What this consumer wrote lately (a copy fetched while the first was in progress), and what
    // the database said when the batch came.
    const marks = [this.recentMarks.get(event.id), known?.asked.has(event.id) ? known.marks.get(event.id) : await this.markOf(event.id)];
    if (marks.some((m) => m?.outcome === 'handled')) {
      logger.info('duplicate delivery: already handled by this group, skipped');
      record('duplicate', { eventId: event.id });
      return;
    }
    // An older attempt seen again (its offset was not committed before a crash) while a later one
    // waits in a retry topic: that one carries on. A redrive starts a new story.
    const redriven = fromTopic === this.redriveTopic(registration);
    const waiting = Math.max(0, ...marks.map((m) => (m?.outcome === 'retried' ? (m.attempt ?? 0) : 0)));
    if (!redriven && attempt < waiting) {
      logger.info({ waitingAttempt: waiting }, `duplicate delivery: attempt ${waiting} already waits in a retry topic, skipped`);
      record('duplicate', { eventId: event.id });
      return;
    }

    // Given up before trying: waited too long for a first attempt, or for all of them.
    if (attempt === 1 && route.kind === 'source' && started - firstSeenAt > policy.scheduleToStartTimeout) {
      const error = new GivenUpError('SCHEDULE_TO_START_TIMEOUT', `waited ${started - firstSeenAt} ms for a first attempt, more than ${policy.scheduleToStartTimeout} ms`);
      await this.giveUp(valid, classify(error, policy));
      record('dead-lettered', { eventId: event.id, errorType: error.code });
      return;
    }
    if (started - firstSeenAt > policy.scheduleToCloseTimeout) {
      const error = new GivenUpError('SCHEDULE_TO_CLOSE_TIMEOUT', `${started - firstSeenAt} ms since it was first seen, more than ${policy.scheduleToCloseTimeout} ms`);
      await this.giveUp(valid, classify(error, policy));
      record('dead-lettered', { eventId: event.id, errorType: error.code });
      return;
    }

    const outbox: Message[] = [];
    const outboxTopics: string[] = [];
    const attemptAbort = new AbortController();
    const timeout = setTimeout(() => attemptAbort.abort(new AttemptTimeoutError(policy.startToCloseTimeout)), policy.startToCloseTimeout);
    const onStop = (): void => attemptAbort.abort(new Error('consumer stopping'));
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    const context: HandlerContext = {
      event,
      key: message.key?.toString('utf8') ?? '',
      headers,
      attempt,
      signal: attemptAbort.signal,
      topic: registration.topic.name,
      logger,
      emit: (topic, key, emitted, extraHeaders) => {
        const built = toMessage(topic, key, emitted);
        outbox.push({ ...built, headers: { ...built.headers, ...extraHeaders } });
        outboxTopics.push(topic.name);
      },
      status: (status, extra) => {
        const built = this.statusEvent(valid, status, extra);
        if (!built) throw new Error(`${registration.name}: status() needs a describe() on the registration`);
        outbox.push(toMessage(NotificationStatus, built.data.subjectId, built));
        outboxTopics.push(NotificationStatus.name);
      },
    };

    try {
      await Promise.race([
        registration.handle(context),
        new Promise<never>((_, reject) => {
          attemptAbort.signal.addEventListener('abort', () => reject(attemptAbort.signal.reason as Error), { once: true });
        }),
      ]);
    } catch (error) {
      const why = classify(error, policy);
      markFailed(span, error);
      logger.warn({ errorType: why.type, err: error }, `attempt ${attempt} failed: ${why.message}`);
      await this.afterFailure(valid, why);
      record(why.retriable && attempt < policy.maximumAttempts ? 'retried' : 'dead-lettered', { eventId: event.id, errorType: why.type });
      return;
    } finally {
      clearTimeout(timeout);
      this.stopping.signal.removeEventListener('abort', onStop);
    }

    await this.publishAll(outbox, outboxTopics);
    await this.markProcessed(event.id, { outcome: 'handled', attempt: null }, known);
    record('handled', { eventId: event.id });
  }

  /** The notification.status event of a step, when the handler says which notification it is. */
  private statusEvent(d: ValidDelivery, status: NotificationStatusValue, extra: StatusExtra = {}): EventOf<typeof NotificationStatus> | undefined {
    const subject = d.registration.describe?.(d.event);
    if (!subject) return undefined;
    const traceId = activeTraceId();
    return newEvent(
      NotificationStatus,
      {
        subjectId: subject.subjectId,
        channel: this.options.channel,
        notification: subject.notification,
        status,
        attempt: d.attempt,
        ...(extra.detail ? { detail: extra.detail.slice(0, 1000) } : {}),
        ...(extra.nextAt ? { nextAt: extra.nextAt.toISOString() } : {}),
        ...(extra.error ? { errorCode: extra.error.type.slice(0, 100), errorMessage: extra.error.message.slice(0, MAX_ERROR_MESSAGE) } : {}),
        // The timeline entry leads to the trace in Jaeger.
        ...(traceId ? { traceId } : {}),
        at: new Date(this.now()).toISOString(),
      },
      { correlationId: d.event.correlationId, causationId: d.event.id },
    );
  }

  /** Retry later through the right tier, or dead-letter when no attempt is left. */
  private async afterFailure(d: ValidDelivery, why: Classification): Promise<void> {
    const { policy } = d.registration;
    const now = this.now();
    const delay = Math.max(withJitter(backoffDelay(policy, d.attempt), policy.jitter, this.random), why.retryAfterMs ?? 0);
    const outOfTime = now + delay - d.firstSeenAt > policy.scheduleToCloseTimeout;
    if (!why.retriable || d.attempt >= policy.maximumAttempts || outOfTime) {
      const reason = !why.retriable ? 'not retriable' : outOfTime ? 'scheduleToCloseTimeout would pass' : 'no attempt left';
      await this.giveUp(d, why, reason);
      return;
    }
    const tier = tierFor(retryTiers(policy), delay);
    const notBefore = now + delay;
    const retryHeaders: IHeaders = {
      ...this.storyHeaders(d, why),
      [RetryHeaders.attempt]: String(d.attempt + 1),
      [RetryHeaders.notBefore]: String(notBefore),
      [RetryHeaders.firstSeenAt]: String(d.firstSeenAt),
      [RetryHeaders.firstAttemptAt]: String(d.firstAttemptAt),
      [RetryHeaders.lastAttemptAt]: String(now),
    };
    const messages: Message[] = [{ key: d.message.key, value: d.message.value, headers: retryHeaders }];
    const topics = [retryTopicName(this.options.groupId, d.registration.topic.name, tier)];
    const status = this.statusEvent(d, 'retrying', { nextAt: new Date(notBefore), error: why });
    if (status) {
      messages.push(toMessage(NotificationStatus, status.data.subjectId, status));
      topics.push(NotificationStatus.name);
    }
    const attributes = { 'herald.retry.topic': topics[0], 'herald.retry.delay_ms': delay, 'herald.retry.next_attempt': d.attempt + 1 };
    await inSpan('retry', { attributes }, () => this.publishAll(messages, topics));
    // After the send, never before (a crash in between would lose the message): a redelivered
    // older attempt is then skipped.
    await this.markProcessed(d.event.id, { outcome: 'retried', attempt: d.attempt + 1 });
    d.logger.info({ retryTopic: topics[0], notBefore: new Date(notBefore).toISOString() }, `attempt ${d.attempt + 1} in ${delay} ms`);
  }

  private async giveUp(d: ValidDelivery, why: Classification, reason = 'given up'): Promise<void> {
    const status = this.statusEvent(d, 'dead-lettered', { detail: reason, error: why });
    const extra = status ? [toMessage(NotificationStatus, status.data.subjectId, status)] : [];
    await this.deadLetter(d, why, extra);
    await this.markProcessed(d.event.id, { outcome: 'dead-lettered', attempt: null });
    d.logger.error({ errorType: why.type, reason }, `dead-lettered after ${d.attempt} attempt(s): ${why.message}`);
  }

  /** Writes the dead letter: original key, value and headers plus the whole story. */
  private async deadLetter(d: Delivery, why: Classification, extra: Message[] = []): Promise<void> {
    const dlq = deadLetterTopicName(this.options.groupId, d.registration.topic.name);
    const headers: IHeaders = {
      ...this.storyHeaders(d, why),
      [RetryHeaders.attempt]: String(d.attempt),
      [RetryHeaders.firstAttemptAt]: String(d.firstAttemptAt),
      [RetryHeaders.lastAttemptAt]: String(this.now()),
      [RetryHeaders.errorCode]: why.type,
      [RetryHeaders.errorStack]: (why.stack ?? '').slice(0, MAX_STACK),
    };
    delete headers[RetryHeaders.notBefore];
    const letter: Message = { key: d.message.key, value: d.message.value, headers };
    const attributes = { 'herald.dead_letter.topic': dlq, 'herald.error.type': why.type, 'herald.attempts': d.attempt };
    await inSpan('dead-letter', { attributes }, () => this.publishAll([letter, ...extra], [dlq, ...extra.map(() => NotificationStatus.name)]));
  }

  /**
   * The original headers plus where the message came from and why its last attempt failed.
   * The trace headers are left for the send to write: they then point at this attempt.
   */
  private storyHeaders(d: Delivery, why: Classification): IHeaders {
    const kept = Object.fromEntries(Object.entries(d.headers).filter(([name]) => !TRACE_HEADER_NAMES.includes(name)));
    return {
      ...kept,
      [RetryHeaders.originalTopic]: d.origin.topic,
      [RetryHeaders.originalPartition]: String(d.origin.partition),
      [RetryHeaders.originalOffset]: d.origin.offset,
      [RetryHeaders.originalTimestamp]: d.origin.timestamp,
      [RetryHeaders.group]: this.options.groupId,
      [RetryHeaders.errorType]: why.type,
      [RetryHeaders.errorMessage]: why.message.slice(0, MAX_ERROR_MESSAGE),
    };
  }

  /**
   * Sends messages to their topics, acknowledged by all in-sync replicas, together with those of
   * the other messages being handled at the same moment (one request for all of them). Each
   * message takes the trace context of the span it was sent from before it joins the others.
   */
  private async publishAll(messages: Message[], topics: string[]): Promise<void> {
    if (messages.length === 0) return;
    const trace = traceHeaders();
    const outgoing = messages.map((message, i) => ({
      topic: topics[i] as string,
      message: carriesTraceContext(message.headers ?? {}) ? message : { ...message, headers: { ...message.headers, ...trace } },
    }));
    await this.sends.add(outgoing);
  }

  private async sendTogether(items: { topic: string; message: Message }[][]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of items.flat()) byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
    if (!this.producer) throw new Error('consumer not started');
    await sendTraced(this.producer, {
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
    });
  }

  /**
   * The marks of the batch's events (by their event-id header), in one query instead of one per
   * message. A message without the header is asked about on its own.
   */
  private async handledAmong(headers: readonly Record<string, string>[]): Promise<BatchDedupe> {
    const asked = new Set<string>();
    for (const h of headers) {
      const id = h[Headers.eventId];
      if (id && UUID.test(id)) asked.add(id);
    }
    return { asked, marks: await this.marksOf.ask([...asked]) };
  }

  private async markOf(eventId: string): Promise<Mark | undefined> {
    return (await this.marksOf.ask([eventId])).get(eventId);
  }

  private async lookUpMarks(eventIds: readonly string[]): Promise<Map<string, Mark>> {
    // Plain prepared statements on the hot path: parsed once per connection, no query builder.
    const { rows } = await this.options.database.pool.query<{ event_id: string; outcome: 'handled' | 'retried'; attempt: number | null }>({
      name: 'herald-processed-marks-of',
      text: `select event_id, outcome, attempt from processed_events
             where consumer_group = $1 and event_id = any($2::text[]) and outcome in ('handled', 'retried')`,
      values: [this.options.groupId, eventIds],
    });
    return new Map(rows.map((r) => [r.event_id, { outcome: r.outcome, attempt: r.attempt }]));
  }

  /**
   * Records an event's end, or the attempt it waits for, for this group, in one statement with the
   * others of the moment; this consumer remembers it too.
   */
  private async markProcessed(eventId: string, mark: Mark, batch?: BatchDedupe): Promise<void> {
    await this.marks.add({ eventId, ...mark });
    batch?.marks.set(eventId, mark);
    this.recentMarks.set(eventId, mark);
  }

  private async markTogether(marks: ({ eventId: string } & Mark)[]): Promise<void> {
    // One row an event (the last word wins): an upsert may not touch a row twice.
    const last = new Map(marks.map((m) => [m.eventId, m]));
    await this.options.database.pool.query({
      name: 'herald-processed-mark-attempt',
      text: `insert into processed_events (consumer_group, event_id, outcome, attempt)
             select $1, e, o, a from unnest($2::text[], $3::text[], $4::int[]) as t(e, o, a)
             on conflict (consumer_group, event_id)
             do update set outcome = excluded.outcome, attempt = excluded.attempt, processed_at = now()`,
      values: [this.options.groupId, [...last.keys()], [...last.values()].map((m) => m.outcome), [...last.values()].map((m) => m.attempt)],
    });
  }
}

/**
 * Runs `fn` over `items`, at most `limit` at a time, and waits for every one of them; returns the
 * failures (none of them stops the others).
 */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<unknown[]> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await fn(item).catch((error: unknown) => failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return failures;
}
