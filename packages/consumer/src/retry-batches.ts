import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { RetryHeaders } from '@herald/contracts';
import { intHeader, type MessageProcessor, type Route } from './message.processor';
import { recordLag, recordOutcome } from './metrics';
import type { RetryPartitionGate } from './retry-partition-gate';

/** Messages of a retry topic's batch handled at once (they come in due order, a few at a time). */
const RETRY_BATCH_CONCURRENCY = 8;

/** A fetched message with its headers as strings (parsed once). */
export interface Fetched {
  message: KafkaMessage;
  headers: Record<string, string>;
}

export interface RetryBatchDependencies {
  groupId: string;
  processor: MessageProcessor;
  consumer: () => Consumer | undefined;
  now: () => number;
  stopping: AbortSignal;
  /** The partition's messages up to `offset` are finished: its commit may pass them. */
  finishedThrough: (topic: string, partition: number, offset: number) => void;
  /** Keeps idle retry partitions out of the fetches; told which ones wait here for a due time. */
  gate: RetryPartitionGate;
}

/**
 * Reads a group's retry and redrive topics. A message waits for its retry time by pausing its
 * partition, never by sleeping in a handler (a sleeping kafkajs consumer stops heartbeating and is
 * evicted): the messages of a batch that are due are handled, and the first one not due yet pauses
 * the partition and seeks back to it, to come back when it is due (a tier has one delay, so those
 * after it are not due either).
 */
export class RetryBatches {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: RetryBatchDependencies) {}

  /** Forgets the partitions waiting for their retry time (a stop). */
  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  async handle(payload: EachBatchPayload, route: Route, fetched: readonly Fetched[]): Promise<void> {
    const { batch } = payload;
    this.deps.gate.batchStarted(batch.topic, batch.partition);
    try {
      await this.handleFetched(payload, route, fetched);
    } finally {
      this.deps.gate.batchEnded(batch.topic, batch.partition);
    }
  }

  private async handleFetched(payload: EachBatchPayload, route: Route, fetched: readonly Fetched[]): Promise<void> {
    const { batch } = payload;
    const now = this.deps.now();
    const firstWaiting = fetched.findIndex((f) => (intHeader(f.headers, RetryHeaders.notBefore) ?? 0) > now);
    const due = firstWaiting < 0 ? fetched : fetched.slice(0, firstWaiting);
    if (due.length > 0) await this.handleDue(payload, route, due);
    const waiting = fetched[firstWaiting];
    if (!waiting || !payload.isRunning() || payload.isStale()) return;
    // Not due yet: stop fetching this partition, come back to this very offset when it is.
    const wait = (intHeader(waiting.headers, RetryHeaders.notBefore) ?? now) - this.deps.now();
    this.deps.gate.held(batch.topic, batch.partition);
    const resume = payload.pause();
    this.deps.consumer()?.seek({ topic: batch.topic, partition: batch.partition, offset: waiting.message.offset });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.deps.gate.released(batch.topic, batch.partition);
      resume();
    }, Math.max(0, wait));
    this.timers.add(timer);
    recordOutcome(this.deps.groupId, {
      handler: route.registration.name,
      topic: batch.topic,
      outcome: 'deferred',
      attempt: intHeader(waiting.headers, RetryHeaders.attempt) ?? 1,
      durationMs: 0,
    });
  }

  /**
   * Handles the due messages of a batch before the next fetch: those of different keys
   * concurrently, those of one key in offset order. The offset resolved (and committed) is the end
   * of the longest run of finished messages from the start, so a stop or a crash mid-batch
   * redelivers what was not finished (and the processed mark skips what was).
   */
  private async handleDue(payload: EachBatchPayload, route: Route, fetched: readonly Fetched[]): Promise<void> {
    const { batch } = payload;
    const lanes = new Map<string, Fetched[]>();
    for (const item of fetched) {
      // Keyless messages have no order to keep: each is a lane of its own.
      const lane = item.message.key ? item.message.key.toString('base64') : `offset:${item.message.offset}`;
      lanes.set(lane, [...(lanes.get(lane) ?? []), item]);
    }
    const batchMarks = this.deps.processor.marksAmong(fetched.map((f) => f.headers));
    const done = new Set<string>();
    const running = () => payload.isRunning() && !payload.isStale() && !this.deps.stopping.aborted;
    const failures = await forEachLimited([...lanes.values()], RETRY_BATCH_CONCURRENCY, async (lane) => {
      for (const { message, headers } of lane) {
        if (!running()) return;
        if (!(await this.deps.processor.process({ route, fromTopic: batch.topic, partition: batch.partition, message, headers, batchMarks }))) return;
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
      this.deps.finishedThrough(batch.topic, batch.partition, Number(last));
      recordLag(this.deps.groupId, batch.topic, batch.partition, batch.highWatermark, String(Number(last) + 1));
    }
    // A heartbeat that failed stopped its lane; kafkajs fetches the batch again from the first
    // unfinished offset.
    if (failures.length > 0) throw failures[0] as Error;
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
