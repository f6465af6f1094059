import { Type } from '@sinclair/typebox';
import { Email } from './user';

const Instant = Type.String({ format: 'date-time' });
/** The user (or alert) a notification is about. */
const SubjectId = Type.String({ format: 'uuid' });

export const EMAIL_TEMPLATES = ['welcome', 'follow-up', 'alert'] as const;
export const SLACK_CHANNELS = ['signups', 'alerts'] as const;

const EmailTemplate = Type.Union(EMAIL_TEMPLATES.map((t) => Type.Literal(t)));
/** RFC 5322 Message-ID, derived from the id of the event that caused the email. */
const MessageId = Type.String({ minLength: 3, maxLength: 255 });

/** An email as `email.sent.v1` carried it, its recipient included. No longer written. */
export const EmailSentData = Type.Object(
  { subjectId: SubjectId, template: EmailTemplate, recipient: Email, messageId: MessageId, sentAt: Instant },
  { additionalProperties: false },
);

/** An email SMTP accepted, without its recipient: the subject's id says whose it was. */
export const EmailSentV2Data = Type.Object(
  { subjectId: SubjectId, template: EmailTemplate, messageId: MessageId, sentAt: Instant },
  { additionalProperties: false },
);

export const SlackMessageSentData = Type.Object(
  {
    subjectId: SubjectId,
    channel: Type.Union(SLACK_CHANNELS.map((c) => Type.Literal(c))),
    sentAt: Instant,
  },
  { additionalProperties: false },
);

export const NOTIFICATION_STATUSES = [
  'requested',
  'sent',
  'retrying',
  'dead-lettered',
  'scheduled',
  'due',
  'cancelled',
  'redriven',
] as const;
/**
 * The steps `notification.status.v2` carries: those no domain event records. A delivery is
 * `email.sent` or `slack.message.sent`, a follow-up falling due is `follow-up.requested`, and the
 * timeline projects those directly.
 */
export const NOTIFICATION_STATUSES_V2 = ['requested', 'retrying', 'dead-lettered', 'scheduled', 'cancelled', 'redriven'] as const;
export const NOTIFICATION_CHANNELS = ['email', 'slack', 'scheduler'] as const;

/** The data of a notification status event whose status is one of `statuses`. */
function statusData<S extends readonly string[]>(statuses: S) {
  return Type.Object(
    {
      subjectId: SubjectId,
      channel: Type.Union(NOTIFICATION_CHANNELS.map((c) => Type.Literal(c))),
      /** Which notification: welcome, follow-up, signup-announcement, alert. */
      notification: Type.String({ minLength: 1, maxLength: 64 }),
      status: Type.Union(statuses.map((s) => Type.Literal(s as S[number]))),
      /** Attempt number, 1 for the first. */
      attempt: Type.Integer({ minimum: 0 }),
      detail: Type.Optional(Type.String({ maxLength: 1000 })),
      errorCode: Type.Optional(Type.String({ maxLength: 100 })),
      errorMessage: Type.Optional(Type.String({ maxLength: 2000 })),
      /** When the next attempt or the scheduled delivery is due. */
      nextAt: Type.Optional(Instant),
      traceId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$' })),
      at: Instant,
    },
    { additionalProperties: false },
  );
}

/**
 * One step in the life of a notification, for the timeline (Temporal's event history):
 * every attempt, retry, dead-lettering, schedule, cancellation and delivery. No longer written:
 * see NotificationStatusV2Data.
 */
export const NotificationStatusData = statusData(NOTIFICATION_STATUSES);

/**
 * A step in the life of a notification that no domain event records: a retry, a dead letter, a
 * follow-up scheduled or cancelled. Deliveries are their own events (`email.sent`,
 * `slack.message.sent`), which saves a Kafka record for every delivery.
 */
export const NotificationStatusV2Data = statusData(NOTIFICATION_STATUSES_V2);

/** A generic delayed message: publish `value` to `topic` with `key` at `dueAt`. */
export const ScheduleRequestedData = Type.Object(
  {
    /** Cancel-by-key handle; a new request with a pending key replaces the pending one. */
    scheduleKey: Type.String({ minLength: 1, maxLength: 200 }),
    topic: Type.String({ minLength: 1, maxLength: 249, pattern: '^[A-Za-z0-9._-]+$' }),
    key: Type.String({ minLength: 1, maxLength: 200 }),
    dueAt: Instant,
    /** The event to publish, validated against `topic`'s contract when it is dispatched. */
    value: Type.Unknown(),
  },
  { additionalProperties: false },
);

export const ScheduleCancelRequestedData = Type.Object(
  { scheduleKey: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

