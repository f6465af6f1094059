import { createHash } from 'node:crypto';
import { assertEvent, type EmailSentV2, FollowUpRequestedV2, followUpOf, newEvent, type UserDeleted, type EventOf } from '@herald/contracts';
import type { ScheduledMessagesStore } from './scheduled-messages.store';
import { pickTraceHeaders } from './trace-headers';

/** What the follow-up logic needs. */
export interface FollowUpDeps {
  store: ScheduledMessagesStore;
  /** FOLLOW_UP_DELAY in milliseconds: the follow-up is due this long after the welcome email. */
  followUpDelayMs: number;
  /** The topics a schedule.requested may target (SCHEDULE_REQUEST_TOPICS). */
  scheduleRequestTopics: readonly string[];
}

/** What `onEmailSent` did, for the caller's `scheduled` status event and its logs. */
export type FollowUpResult =
  | {
      outcome: 'scheduled';
      subjectId: string;
      scheduleKey: string;
      dueAt: Date;
      /** Id of the FollowUpRequested event that will be published. */
      eventId: string;
      /** A follow-up pending for this user was replaced. */
      replaced: boolean;
    }
  | {
      outcome: 'skipped';
      subjectId: string;
      /** `not-welcome`: only a welcome email has a follow-up. `user-gone`: deleted or unknown user. */
      reason: 'not-welcome' | 'user-gone';
    };

/** Only a welcome email has a follow-up: what the scheduler's EmailSent handler accepts. */
export function hasFollowUp(event: EventOf<typeof EmailSentV2>): boolean {
  return event.data.template === 'welcome';
}

/** The schedule key of a user's follow-up; every key of theirs starts with it. */
export function followUpKey(userId: string): string {
  return `follow-up:${userId}`;
}

/**
 * A welcome email was sent: schedule the follow-up for sent time + FOLLOW_UP_DELAY (Temporal's
 * `workflow.sleep(timedelta(days=3))`, made durable as a row). The row holds the user's id, no
 * personal data: the email service reads the user when the follow-up falls due.
 */
export async function onEmailSent(
  event: EventOf<typeof EmailSentV2>,
  deps: Pick<FollowUpDeps, 'store' | 'followUpDelayMs'>,
  headers: Readonly<Record<string, string | undefined>> = {},
): Promise<FollowUpResult> {
  const { subjectId, sentAt } = event.data;
  if (!hasFollowUp(event)) return { outcome: 'skipped', subjectId, reason: 'not-welcome' };
  const dueAt = new Date(Date.parse(sentAt) + deps.followUpDelayMs);
  const followUp = assertEvent(FollowUpRequestedV2, {
    // occurredAt is when it falls due; the id is derived from the email event, so a redelivered
    // EmailSent schedules the very same event and the email service sends it once.
    ...newEvent(
      FollowUpRequestedV2,
      { userId: subjectId, dueAt: dueAt.toISOString() },
      followUpOf(event),
      dueAt,
    ),
    id: derivedEventId(`${event.id}/follow-up`),
  });
  const scheduleKey = followUpKey(subjectId);
  // Scheduled only while the user is still there, under a FOR SHARE lock on their row: a deletion
  // committing meanwhile waits, and its UserDeleted event then finds this follow-up to cancel.
  // Either order ends with no follow-up.
  const result = await deps.store.schedule(
    { scheduleKey, topic: FollowUpRequestedV2.name, key: subjectId, value: followUp, headers: pickTraceHeaders(headers), dueAt },
    subjectId,
  );
  if (!result) return { outcome: 'skipped', subjectId, reason: 'user-gone' };
  return { outcome: 'scheduled', subjectId, scheduleKey, dueAt, eventId: followUp.id, replaced: result.replaced };
}

/**
 * A user was deleted: delete their follow-ups, pending or not, which cancels what was pending.
 * Returns how many were pending.
 */
export async function onUserDeleted(
  event: EventOf<typeof UserDeleted>,
  deps: Pick<FollowUpDeps, 'store'>,
): Promise<number> {
  return deps.store.deleteByPrefix(followUpKey(event.data.userId));
}

/** A UUID-shaped id derived from `seed` (a name-based, RFC 9562 version 8 UUID). */
export function derivedEventId(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex').slice(0, 32).split('');
  hex[12] = '8';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
