import { sql } from 'drizzle-orm';
import { assertEvent, type EventOf, type Topic } from '@herald/contracts';
import { outbox } from '@herald/db';
import { eventHeaders } from '@herald/kafka';
import { traceHeaders } from '@herald/telemetry';
import type { Transaction } from './idempotency';

/** The channel the relay LISTENs on; a NOTIFY inside a transaction is delivered on commit. */
export const OUTBOX_CHANNEL = 'herald_outbox';

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
 * Writes `event` to the outbox in the caller's transaction, validated against its topic, and
 * wakes the relay when the transaction commits.
 */
export async function appendToOutbox<T extends Topic>(
  tx: Transaction,
  topic: T,
  key: string,
  event: EventOf<T>,
): Promise<void> {
  await tx.insert(outbox).values(outboxRow(topic, key, event));
  await tx.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`);
}
