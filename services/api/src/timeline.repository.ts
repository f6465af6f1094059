import { asc, eq, sql } from 'drizzle-orm';
import type { EventOf, NotificationStatus } from '@herald/contracts';
import { notificationTimeline, type Database } from '@herald/db';

/** One entry of a user's notification timeline. */
export type TimelineEntry = Omit<typeof notificationTimeline.$inferSelect, 'id' | 'subjectId'>;

/** Records notification statuses in one insert; a redelivered event (same id) changes nothing. */
export async function recordStatuses(db: Database, events: readonly EventOf<typeof NotificationStatus>[]): Promise<void> {
  if (events.length === 0) return;
  // One array parameter a column, unnested by Postgres: 13 parameters whatever the number of
  // rows, and no SQL built per row (a batch of a busy topic holds thousands).
  const column = <T>(pick: (e: EventOf<typeof NotificationStatus>) => T) => sql.param(events.map(pick));
  await db.execute(sql`
    insert into ${notificationTimeline}
      (event_id, subject_id, correlation_id, channel, notification, status, attempt, detail,
       error_code, error_message, next_at, trace_id, occurred_at)
    select * from unnest(
      ${column((e) => e.id)}::text[], ${column((e) => e.data.subjectId)}::uuid[],
      ${column((e) => e.correlationId)}::text[], ${column((e) => e.data.channel)}::text[],
      ${column((e) => e.data.notification)}::text[], ${column((e) => e.data.status)}::text[],
      ${column((e) => e.data.attempt)}::int[], ${column((e) => e.data.detail ?? null)}::text[],
      ${column((e) => e.data.errorCode ?? null)}::text[], ${column((e) => e.data.errorMessage ?? null)}::text[],
      ${column((e) => e.data.nextAt ?? null)}::timestamptz[], ${column((e) => e.data.traceId ?? null)}::text[],
      ${column((e) => e.data.at)}::timestamptz[])
    on conflict (event_id) do nothing`);
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
