import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, IMemberAssignment, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { beforeRejoin, watchJoined } from '@herald/kafka';
import { backoffPause, retrying } from '@herald/service-kit';
import { pacedFetches } from './fetch-pacer';

export interface GroupConsumerOptions {
  kafka: Kafka;
  groupId: string;
  logger: Logger;
  /** Every topic the group reads: sources, retry tiers and redrive topics. */
  topics: readonly string[];
  partitionsConsumedConcurrently: number;
  /** The runner's fetch pace (FetchPacer): sets how long an idle fetch waits. */
  fetchPaceMs: number;
  /** A stop began: a crashed consumer is not replaced any more. */
  stopping: AbortSignal;
  eachBatch: (payload: EachBatchPayload) => Promise<void>;
  /** A fetch to a broker started, and its answer came (the retry gate and the pacer count them). */
  fetchStarted: (nodeId: number) => void;
  fetchEnded: (nodeId: number) => void;
  /** The consumer joined its group with this assignment. */
  joined: (consumer: Consumer, assignment: IMemberAssignment) => void;
  /** Runs before the consumer rejoins its group (a rebalance), while it still owns its partitions. */
  beforeRejoin: () => Promise<void>;
}

/**
 * The kafkajs consumer of one group: connects, subscribes, runs, reports its fetches and joins,
 * and starts a new consumer when kafkajs gives one up. What a batch's messages become is the
 * caller's (`eachBatch`); offsets are committed by the caller too (autoCommit is off).
 */
export class GroupConsumer {
  private consumer: Consumer | undefined;
  private joinedNow: () => boolean = () => false;
  private removeRejoinHook: (() => void) | undefined;

  constructor(private readonly options: GroupConsumerOptions) {}

  /** The kafkajs consumer running now; a new one after a crash kafkajs does not recover from. */
  get current(): Consumer | undefined {
    return this.consumer;
  }

  /** True once the consumer has joined its group and fetched (readiness). */
  isJoined(): boolean {
    return this.joinedNow();
  }

  /** Connects a consumer of the group, subscribes and runs it. */
  async start(): Promise<void> {
    const { kafka, groupId, logger } = this.options;
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      ...pacedFetches(this.options.fetchPaceMs),
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    this.joinedNow = watchJoined(consumer);
    consumer.on(consumer.events.FETCH_START, ({ payload }) => this.options.fetchStarted(payload.nodeId));
    consumer.on(consumer.events.FETCH, ({ payload }) => this.options.fetchEnded(payload.nodeId));
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.removeRejoinHook?.();
      this.removeRejoinHook = beforeRejoin(groupId, payload.memberId, this.options.beforeRejoin);
      this.options.joined(consumer, payload.memberAssignment);
    });
    // kafkajs starts a crashed consumer again only after a retriable error. A coordinator gone
    // longer than its retries (a broker restart) ends in a non-retriable one, and the process
    // would live on consuming nothing: a new consumer takes over, as a rebalance would hand the
    // partitions on (what was in progress settles, and its redelivery is a duplicate).
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.options.stopping.aborted) return;
      logger.warn({ err: payload.error }, 'the Kafka consumer stopped on an error: a new one joins the group');
      void this.startAgain();
    });
    await consumer.connect();
    // Right after topics are created the broker may still deny knowing them for a moment
    // (a retriable UNKNOWN_TOPIC_OR_PARTITION): try again rather than fail the start.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
        break;
      } catch (error) {
        if (!(error as { retriable?: boolean }).retriable || attempt >= 20) throw error;
        await sleep(250 * attempt);
      }
    }
    await consumer.run({
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      eachBatchAutoResolve: false,
      autoCommit: false,
      eachBatch: this.options.eachBatch,
    });
  }

  /** Leaves the group and disconnects. */
  async stop(): Promise<void> {
    this.removeRejoinHook?.();
    await this.consumer?.disconnect();
  }

  /** A new consumer after a crash kafkajs does not recover from, tried with backoff until a stop. */
  private async startAgain(): Promise<void> {
    const signal = this.options.stopping;
    // The coordinator that failed is not back at once: a pause before the first try too.
    await sleep(backoffPause(1, { initialMs: 1000 }), undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    const joinAgain = async (): Promise<void> => {
      try {
        await this.start();
      } catch (error) {
        await this.consumer?.disconnect().catch(() => undefined);
        throw error;
      }
    };
    await retrying(joinAgain, {
      signal,
      initialMs: 2000,
      onFailure: (error) => this.options.logger.warn({ err: error }, 'the new Kafka consumer could not start yet'),
    }).catch(() => undefined);
  }
}
