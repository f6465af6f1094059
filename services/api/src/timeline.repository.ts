import { asc, eq, sql } from 'drizzle-orm';
import type { EmailSentV2, EventOf, FollowUpRequestedV2, NotificationStatus, NotificationStatusV2, SlackMessageSent } from '@herald/contracts';
import { executeNamed, notificationTimeline, type Database } from '@herald/db';
import type { Transaction } from './idempotency';

/** One entry of a user's notification timeline. */
export type TimelineEntry = Omit<typeof notificationTimeline.$inferSelect, 'id' | 'subjectId'>;

/** A row the projection writes: a notification status, or a follow-up falling due. */
export interface TimelineRecord {
  eventId: string;
  subjectId: string;
  correlationId: string;
  channel: string;
  notification: string;
  status: string;
  attempt: number;
  detail: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  nextAt: string | null;
  traceId: string | null;
  /** RFC 3339: when it happened. */
  at: string;
}

/** What a delivery event's headers add to its timeline row. */
export interface DeliveryHeaders {
  /** The attempt that delivered it (its `herald-attempt` header). */
  attempt: number;
  /** The trace of the delivery (from its `traceparent` header), when it has one. */
  traceId: string | null;
}

/** A notification status (v1's history, or v2) as a timeline row. */
export function statusRecord(event: EventOf<typeof NotificationStatus> | EventOf<typeof NotificationStatusV2>): TimelineRecord {
  const { data } = event;
  return {
    eventId: event.id,
    subjectId: data.subjectId,
    correlationId: event.correlationId,
    channel: data.channel,
    notification: data.notification,
    status: data.status,
    attempt: data.attempt,
    detail: data.detail ?? null,
    errorCode: data.errorCode ?? null,
    errorMessage: data.errorMessage ?? null,
    nextAt: data.nextAt ?? null,
    traceId: data.traceId ?? null,
    at: data.at,
  };
}

const SLACK_NOTIFICATIONS = { signups: 'signup-announcement', alerts: 'alert' } as const;

/** An email accepted by SMTP as its `sent` row: the event is the fact, so its id is the row's. */
export function emailSentRecord(event: EventOf<typeof EmailSentV2>, headers: DeliveryHeaders): TimelineRecord {
  const { data } = event;
  return sentRecord(event, headers, {
    channel: 'email',
    notification: data.template,
    detail: `${data.template} email accepted by SMTP as ${data.messageId}`,
  });
}

/** A Slack message accepted by its webhook as its `sent` row. */
export function slackSentRecord(event: EventOf<typeof SlackMessageSent>, headers: DeliveryHeaders): TimelineRecord {
  const { data } = event;
  return sentRecord(event, headers, {
    channel: 'slack',
    notification: SLACK_NOTIFICATIONS[data.channel],
    detail: `posted to the ${data.channel} webhook`,
  });
}

function sentRecord(
  event: EventOf<typeof EmailSentV2> | EventOf<typeof SlackMessageSent>,
  headers: DeliveryHeaders,
  row: { channel: string; notification: string; detail: string },
): TimelineRecord {
  return {
    eventId: event.id,
    subjectId: event.data.subjectId,
    correlationId: event.correlationId,
    ...row,
    status: 'sent',
    attempt: headers.attempt,
    errorCode: null,
    errorMessage: null,
    nextAt: null,
    traceId: headers.traceId,
    at: event.data.sentAt,
  };
}

/**
 * A follow-up the scheduler published as a `due` row: the follow-up event is the fact, so its id
 * is the row's (a republished follow-up, same id, adds nothing) and `publishedAt` its time.
 */
export function followUpDueRecord(event: EventOf<typeof FollowUpRequestedV2>, publishedAt: Date): TimelineRecord {
  return {
    eventId: event.id,
    subjectId: event.data.userId,
    correlationId: event.correlationId,
    channel: 'scheduler',
    notification: 'follow-up',
    status: 'due',
    attempt: 0,
    detail: null,
    errorCode: null,
    errorMessage: null,
    nextAt: null,
    traceId: null,
    at: publishedAt.toISOString(),
  };
}

/**
 * Records timeline rows in one insert; a redelivered event (same id) changes nothing, and nothing
 * is recorded for a deleted user (an event still in flight when they were erased).
 */
export async function recordTimeline(db: Database | Transaction, records: readonly TimelineRecord[]): Promise<void> {
  if (records.length === 0) return;
  // One array parameter a column, unnested by Postgres: 13 parameters whatever the number of
  // rows, and no SQL built per row (a batch of a busy topic holds thousands).
  const column = <T>(pick: (r: TimelineRecord) => T) => sql.param(records.map(pick));
  // herald_record_timeline (migration 0015): a subject is a user not deleted, held FOR SHARE so
  // that a deletion committing meanwhile waits for this insert and then deletes what it wrote; or
  // no user at all (an alert). Looked up by primary key whatever the size of users.
  await executeNamed(db, 'herald-timeline-record', sql`
    select herald_record_timeline(
      ${column((r) => r.eventId)}::text[], ${column((r) => r.subjectId)}::uuid[],
      ${column((r) => r.correlationId)}::text[], ${column((r) => r.channel)}::text[],
      ${column((r) => r.notification)}::text[], ${column((r) => r.status)}::text[],
      ${column((r) => r.attempt)}::int[], ${column((r) => r.detail)}::text[],
      ${column((r) => r.errorCode)}::text[], ${column((r) => r.errorMessage)}::text[],
      ${column((r) => r.nextAt)}::timestamptz[], ${column((r) => r.traceId)}::text[],
      ${column((r) => r.at)}::timestamptz[])`);
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
