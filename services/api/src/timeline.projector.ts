import type { Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { Coalescer } from '@herald/consumer';
import {
  ContractViolationError,
  decodeEvent,
  EmailSentV2,
  FollowUpRequestedV2,
  Headers,
  NotificationStatusV2,
  SlackMessageSent,
  type Topic,
} from '@herald/contracts';
import type { Database } from '@herald/db';
import { watchJoined } from '@herald/kafka';
import { backoffPause, type Logger } from '@herald/service-kit';
import { traceIdFromHeaders } from '@herald/telemetry';
import { DEFAULT_TIMELINE_FETCH_WAIT_MS } from './env';
import {
  emailSentRecord,
  followUpDueRecord,
  recordTimeline,
  slackSentRecord,
  statusRecord,
  type DeliveryHeaders,
  type TimelineRecord,
} from './timeline.repository';

/** The consumer group of the timeline projection. */
export const TIMELINE_GROUP = 'herald-api-timeline';

export interface TimelineProjectorOptions {
  kafka: Kafka;
  db: Database;
  logger: Logger;
  /** Default herald-api-timeline (CONSUMER_GROUP); tests use their own. */
  groupId?: string;
  /** Where a new group starts: 'earliest' (default: the whole history) or 'latest'. */
  start?: 'earliest' | 'latest';
  /** Longest pause between attempts to join while Kafka is down; default 5 s. */
  maxBackoffMs?: number;
  /**
   * How long a fetch waits for statuses to gather (TIMELINE_FETCH_WAIT_MS, default 1 s): the
   * timeline is a read model, a little staleness buys far fewer fetches, inserts and commits.
   */
  fetchWaitMs?: number;
  /** What to project; default TIMELINE_TOPICS (a test may narrow it to keep others' traffic out). */
  topics?: readonly Topic[];
}

/** The topics the timeline is projected from. */
export const TIMELINE_TOPICS: readonly Topic[] = [NotificationStatusV2, EmailSentV2, SlackMessageSent, FollowUpRequestedV2];

/** The attempt and trace a delivery event's headers carry. */
function deliveryHeaders(headers: IHeaders = {}): DeliveryHeaders {
  const raw = headers[Headers.attempt];
  const attempt = Number((Array.isArray(raw) ? raw[0] : raw)?.toString());
  return { attempt: Number.isSafeInteger(attempt) && attempt > 0 ? attempt : 1, traceId: traceIdFromHeaders(headers) ?? null };
}

/** How often the projector commits its offsets. */
const TIMELINE_COMMIT_INTERVAL_MS = 1000;

/**
 * Projects the life of each notification into the notification_timeline table the api serves:
 * `notification.status.v2` (retries, dead letters, schedules, cancellations), the delivery events
 * as `sent` steps (`email.sent`, `slack.message.sent`), and `follow-up.requested` as the `due`
 * step of each follow-up. Each is the fact its row records, so a row's id is its event's. Inserts are
 * idempotent on the event id, so a redelivery changes nothing; a message that breaks the
 * contract is logged and skipped, never retried, so it cannot block its partition.
 */
export class TimelineProjector {
  private consumer: Consumer | undefined;
  private joining: Promise<void> | undefined;
  private stopping = false;
  private joined: () => boolean = () => false;
  private readonly groupId: string;
  /** The batches of every partition a fetch returned, recorded in one insert. */
  private readonly inserts: Coalescer<TimelineRecord[]>;

  constructor(private readonly options: TimelineProjectorOptions) {
    this.groupId = options.groupId ?? TIMELINE_GROUP;
    this.inserts = new Coalescer((lists) => recordTimeline(options.db, lists.flat()), Number.POSITIVE_INFINITY);
  }

  /** True once the consumer has joined its group and fetched (from then on nothing published is missed). */
  isJoined(): boolean {
    return this.joined();
  }

  /** Joins the group in the background, retrying with capped backoff while Kafka is down. */
  start(): void {
    this.joining ??= this.join();
  }

  /**
   * Handles a batch of one partition of `topic`: records its valid messages, in one insert with
   * those of the other partitions' batches handled at the same moment, and logs and skips those
   * that break the contract.
   */
  async handle(messages: readonly KafkaMessage[], partition: number, topic: string): Promise<void> {
    const records: TimelineRecord[] = [];
    for (const message of messages) {
      try {
        records.push(this.recordOf(topic, message));
      } catch (error) {
        if (!(error instanceof ContractViolationError)) throw error;
        this.options.logger.warn(
          { topic, partition, offset: message.offset, violations: error.violations },
          'skipping a timeline message that breaks its contract',
        );
      }
    }
    // A database failure throws: kafkajs fetches the batch again rather than losing it.
    if (records.length > 0) await this.inserts.add(records);
  }

  private recordOf(topic: string, message: KafkaMessage): TimelineRecord {
    switch (topic) {
      case FollowUpRequestedV2.name:
        return followUpDueRecord(decodeEvent(FollowUpRequestedV2, message.value), new Date(Number(message.timestamp)));
      case EmailSentV2.name:
        return emailSentRecord(decodeEvent(EmailSentV2, message.value), deliveryHeaders(message.headers));
      case SlackMessageSent.name:
        return slackSentRecord(decodeEvent(SlackMessageSent, message.value), deliveryHeaders(message.headers));
      default:
        return statusRecord(decodeEvent(NotificationStatusV2, message.value));
    }
  }

  /** Stops fetching, lets the message in hand finish, and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private async join(): Promise<void> {
    const maxBackoffMs = this.options.maxBackoffMs ?? 5000;
    const topics = this.options.topics ?? TIMELINE_TOPICS;
    for (let failures = 0; !this.stopping; failures++) {
      const consumer = this.options.kafka.consumer({
        groupId: this.groupId,
        allowAutoTopicCreation: false,
        // Answered once 1 MiB waits or the fetch wait has passed: big batches, few inserts.
        minBytes: 1024 * 1024,
        maxWaitTimeInMs: this.options.fetchWaitMs ?? DEFAULT_TIMELINE_FETCH_WAIT_MS,
      });
      this.joined = watchJoined(consumer);
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: topics.map((t) => t.name), fromBeginning: this.options.start !== 'latest' });
        await consumer.run({
          // Every partition of a fetch at once, so that their batches share one insert: with fewer
          // workers than partitions, the batches past the workers wait for the insert and make a
          // second one.
          partitionsConsumedConcurrently: topics.reduce((sum, t) => sum + t.partitions, 0),
          // Offsets at most once a second, not after every batch as kafkajs' auto-commit does
          // (one commit a partition a fetch): a crash, a stop or a rebalance replays at most that
          // second, and a replayed insert changes nothing.
          autoCommit: false,
          autoCommitInterval: TIMELINE_COMMIT_INTERVAL_MS,
          eachBatch: async (payload) => {
            const { batch } = payload;
            await this.handle(batch.messages, batch.partition, batch.topic);
            payload.resolveOffset(batch.lastOffset());
            await payload.commitOffsetsIfNecessary();
          },
        });
        this.consumer = consumer;
        // stop() may have come while we were joining.
        if (this.stopping) await consumer.disconnect();
        else this.options.logger.info({ groupId: this.groupId }, 'timeline projector consuming');
        return;
      } catch (error) {
        await consumer.disconnect().catch(() => undefined);
        const delayMs = backoffPause(failures + 1, { initialMs: 250, maxMs: maxBackoffMs });
        this.options.logger.warn({ err: error, retryInMs: delayMs }, 'timeline projector cannot join yet');
        await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      }
    }
  }
}
