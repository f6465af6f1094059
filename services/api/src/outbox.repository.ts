import { assertEvent, type EventOf, type Topic } from '@herald/contracts';
import { outbox } from '@herald/db';
import { eventHeaders } from '@herald/kafka';
import { traceHeaders } from '@herald/telemetry';
import type { Transaction } from './idempotency';

/** The outbox row for `event`, validated against its topic. */
export function outboxRow<T extends Topic>(topic: T, key: string, event: EventOf<T>): typeof outbox.$inferInsert {
  assertEvent(topic, event);
  return {
    eventId: event.id,
    topic: topic.name,
    key,
    payload: event,
    // The same headers a direct publish would carry, all strings, plus the request's trace
    // context: the relay publishes the row later, in the request's trace.
    headers: {
      ...Object.fromEntries(Object.entries(eventHeaders(event)).map(([name, value]) => [name, String(value)])),
      ...traceHeaders(),
    },
  };
}

/**
 * Writes `event` to the outbox in the caller's transaction, validated against its topic. The caller
 * wakes its relay once the transaction has committed (`AppDependencies.outboxWritten`).
 */
export async function appendToOutbox<T extends Topic>(
  tx: Transaction,
  topic: T,
  key: string,
  event: EventOf<T>,
): Promise<void> {
  await tx.insert(outbox).values(outboxRow(topic, key, event));
}
