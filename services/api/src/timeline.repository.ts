import { asc, eq } from 'drizzle-orm';
import type { EventOf, NotificationStatus } from '@herald/contracts';
import { notificationTimeline, type Database } from '@herald/db';

/** One entry of a user's notification timeline. */
export type TimelineEntry = Omit<typeof notificationTimeline.$inferSelect, 'id' | 'subjectId'>;

/** Records notification statuses in one insert; a redelivered event (same id) changes nothing. */
export async function recordStatuses(db: Database, events: readonly EventOf<typeof NotificationStatus>[]): Promise<void> {
  // 13 parameters a row: 1000 rows stay far below Postgres' 65,535 parameters a statement.
  for (let i = 0; i < events.length; i += 1000) await insertStatuses(db, events.slice(i, i + 1000));
}

async function insertStatuses(db: Database, events: readonly EventOf<typeof NotificationStatus>[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insert(notificationTimeline)
    .values(
      events.map(({ id, correlationId, data }) => ({
        eventId: id,
        subjectId: data.subjectId,
        correlationId,
        channel: data.channel,
        notification: data.notification,
        status: data.status,
        attempt: data.attempt,
        detail: data.detail ?? null,
        errorCode: data.errorCode ?? null,
        errorMessage: data.errorMessage ?? null,
        nextAt: data.nextAt ? new Date(data.nextAt) : null,
        traceId: data.traceId ?? null,
        occurredAt: new Date(data.at),
      })),
    )
    .onConflictDoNothing({ target: notificationTimeline.eventId });
}

/** The timeline of one subject (a user), oldest first. */
export async function listTimeline(db: Database, subjectId: string): Promise<TimelineEntry[]> {
  return db
    .select({
      eventId: notificationTimeline.eventId,
      correlationId: notificationTimeline.correlationId,
      channel: notificationTimeline.channel,
      notification: notificationTimeline.notification,
      status: notificationTimeline.status,
      attempt: notificationTimeline.attempt,
      detail: notificationTimeline.detail,
      errorCode: notificationTimeline.errorCode,
      errorMessage: notificationTimeline.errorMessage,
      nextAt: notificationTimeline.nextAt,
      traceId: notificationTimeline.traceId,
      occurredAt: notificationTimeline.occurredAt,
    })
    .from(notificationTimeline)
    .where(eq(notificationTimeline.subjectId, subjectId))
    .orderBy(asc(notificationTimeline.occurredAt), asc(notificationTimeline.id));
}
