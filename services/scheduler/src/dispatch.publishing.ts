import type { Kafka, Message, Producer } from 'kafkajs';
import {
  encodeEvent,
  MAX_EVENT_BYTES,
  topicByName,
  type EventOf,
  type Topic,
} from '@herald/contracts';
import { byTopic, eventHeaders, HeraldPartitioner, type BatchSender } from '@herald/kafka';
import { contextFromHeaders, contextWithSpan, markFailed, startSpan, traceHeaders, type Span } from '@herald/telemetry';
import type { ScheduledMessage } from './scheduled-messages.store';

// Kafka refuses requests larger than its message.max.bytes (1 MiB by default); a batch is sent in
// chunks well under it.
const MAX_SEND_BYTES = 512 * 1024;

/** A due row and the Kafka message it becomes. */
export interface Prepared {
  row: ScheduledMessage;
  message: Message;
  bytes: number;
}

/**
 * The producer a dispatcher wants: idempotent, acks from all in-sync replicas (set per send), the
 * Java client's partitioner (same key, same partition as every other Herald producer). Retries
 * are finite so that a Kafka outage fails the batch, which is rolled back and retried with
 * backoff, instead of holding its rows locked forever.
 */
export function createDispatchProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: HeraldPartitioner,
    retry: { retries: 5 },
  });
}

/** The Kafka message for a row; throws when it must not be published. */
export function prepareDispatch(row: ScheduledMessage, allowTopic?: (topic: string) => boolean): Prepared {
  const contract = topicByName(row.topic);
  if (contract) {
    // Validated on the way out, like every Herald event.
    const value = encodeEvent(contract, row.value as EventOf<Topic>);
    const headers = {
      ...row.headers,
      ...(eventHeaders(row.value as EventOf<Topic>) as Record<string, string>),
    };
    return { row, message: { key: row.key, value, headers }, bytes: value.length };
  }
  if (!allowTopic?.(row.topic)) throw new RangeError(`topic "${row.topic}" is not a Herald topic`);
  const value = Buffer.from(JSON.stringify(row.value), 'utf8');
  if (value.length > MAX_EVENT_BYTES) {
    throw new RangeError(`value is ${value.length} bytes, more than ${MAX_EVENT_BYTES}`);
  }
  return {
    row,
    message: { key: row.key, value, headers: { ...row.headers } },
    bytes: value.length,
  };
}

/**
 * Publishes due rows, in chunks under Kafka's request size, each chunk within `timeoutMs`. Each
 * row gets a `dispatch` span whose parent is the trace context stored with the row, so that a
 * follow-up sent days later is a child in the trace of the signup that scheduled it; its message
 * carries that span's context.
 */
export async function publishDue(
  sender: BatchSender,
  prepared: readonly Prepared[],
  at: Date,
  timeoutMs: number,
): Promise<void> {
  const messages: { topic: string; message: Message; bytes: number }[] = [];
  const spans: Span[] = [];
  for (const p of prepared) {
    const parent = contextFromHeaders(p.message.headers ?? {});
    const span = startSpan(`dispatch ${p.row.topic}`, {
      parent,
      attributes: () => ({
        'herald.scheduled.id': String(p.row.id),
        'herald.scheduled.due_at': p.row.dueAt.toISOString(),
        'herald.scheduled.lateness_ms': Math.max(0, at.getTime() - p.row.dueAt.getTime()),
      }),
    });
    spans.push(span);
    const trace = traceHeaders(contextWithSpan(parent, span));
    messages.push({ topic: p.row.topic, message: withHeaders(p.message, trace), bytes: p.bytes });
  }
  try {
    for (const chunk of chunks(messages, MAX_SEND_BYTES)) {
      await withTimeout(
        sender.send({ topicMessages: byTopic(chunk), acks: -1 }),
        timeoutMs,
        'publishing scheduled messages',
      );
    }
  } catch (error) {
    for (const span of spans) markFailed(span, error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}

function chunks<T extends { bytes: number }>(items: readonly T[], maxBytes: number): T[][] {
  const result: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    if (current.length > 0 && size + item.bytes > maxBytes) {
      result.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item.bytes;
  }
  if (current.length > 0) result.push(current);
  return result;
}

function withHeaders(message: Message, headers: Record<string, string>): Message {
  return { ...message, headers: { ...message.headers, ...headers } };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
