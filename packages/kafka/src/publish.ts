import type { IHeaders, Producer, RecordMetadata } from 'kafkajs';
import { encodeEvent, Headers, type EventOf, type Topic } from '@herald/contracts';
import { sendTraced } from './traced-send';

/** Kafka headers Herald puts on every event it writes. */
export function eventHeaders(event: EventOf<Topic>): IHeaders {
  return {
    [Headers.eventId]: event.id,
    [Headers.eventType]: `${event.type}/${event.version}`,
    [Headers.correlationId]: event.correlationId,
  };
}

/** A typed event ready for `producer.send`, validated on the way out. */
export function toMessage<T extends Topic>(topic: T, key: string, event: EventOf<T>) {
  return { key, value: encodeEvent(topic, event), headers: eventHeaders(event) };
}

/** Publishes events to their topic, keyed by entity, validated on the way out, traced. */
export async function publishEvents<T extends Topic>(
  producer: Producer,
  topic: T,
  items: readonly { key: string; event: EventOf<T> }[],
): Promise<RecordMetadata[]> {
  return sendTraced(producer, {
    acks: -1,
    topicMessages: [{ topic: topic.name, messages: items.map(({ key, event }) => toMessage(topic, key, event)) }],
  });
}
