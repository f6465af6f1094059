import type { IHeaders, Message, Producer, RecordMetadata, TopicMessages } from 'kafkajs';
import {
  contextFromHeadersOr,
  contextWithSpan,
  markFailed,
  SpanKind,
  startSpan,
  traceHeaders,
  type Span,
} from '@herald/telemetry';
import { Headers } from '@herald/contracts';

/** A message and the topic it goes to. */
export interface TopicMessage {
  topic: string;
  message: Message;
}

/** Messages grouped by topic for one `sendBatch`, each topic's in the order given. */
export function byTopic(items: readonly TopicMessage[]): TopicMessages[] {
  const grouped = new Map<string, Message[]>();
  for (const { topic, message } of items) {
    const list = grouped.get(topic);
    if (list) list.push(message);
    else grouped.set(topic, [message]);
  }
  return [...grouped].map(([topic, messages]) => ({ topic, messages }));
}

export interface TracedBatch {
  topicMessages: TopicMessages[];
  acks?: number;
}

function stringValue(value: IHeaders[string]): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first?.toString();
}

/**
 * `producer.sendBatch` with one `send <topic>` PRODUCER span per message, following the OTel
 * messaging conventions, whose context rides in the message's W3C `traceparent` header.
 *
 * The span's parent is the trace context the message already carries when it has one (a row
 * of the outbox or of the scheduler, stored with the context of the request that wrote it, so
 * that a relay or a dispatcher publishing rows of many requests in one batch still continues
 * each request's own trace), and the active context otherwise (an event a handler emits).
 */
export async function sendTraced(producer: Producer, batch: TracedBatch): Promise<RecordMetadata[]> {
  const spans: Span[] = [];
  const topicMessages = batch.topicMessages.map(({ topic, messages }) => ({
    topic,
    messages: messages.map((message): Message => {
      const headers = message.headers ?? {};
      const parent = contextFromHeadersOr(headers);
      const span = startSpan(`send ${topic}`, {
        kind: SpanKind.PRODUCER,
        parent,
        attributes: () => {
          const eventId = stringValue(headers[Headers.eventId]);
          return {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'send',
            'messaging.destination.name': topic,
            ...(message.key ? { 'messaging.kafka.message.key': message.key.toString() } : {}),
            ...(eventId ? { 'messaging.message.id': eventId } : {}),
          };
        },
      });
      spans.push(span);
      return { ...message, headers: { ...headers, ...traceHeaders(contextWithSpan(parent, span)) } };
    }),
  }));
  try {
    return await producer.sendBatch({ acks: batch.acks ?? -1, topicMessages });
  } catch (error) {
    for (const span of spans) markFailed(span, error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}
