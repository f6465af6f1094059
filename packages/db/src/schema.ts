import { sql } from 'drizzle-orm';
import {
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * People who signed up. Email and username are unique regardless of case. A deleted user keeps
 * only its id and `deleted_at`, so that the id answers 404 and is never given out again: the
 * personal data is erased (NULL), and a check holds every row to one or the other.
 */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    email: text('email'),
    username: text('username'),
    fullName: text('full_name'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
  },
  // Unique among users not deleted: a deleted user's email and username can sign up again.
  (t) => [
    uniqueIndex('users_email_key').on(sql`lower(${t.email})`).where(sql`${t.deletedAt} is null`),
    uniqueIndex('users_username_key').on(sql`lower(${t.username})`).where(sql`${t.deletedAt} is null`),
    check(
      'users_deleted_are_erased',
      sql`case when ${t.deletedAt} is null
        then ${t.email} is not null and ${t.username} is not null and ${t.fullName} is not null
        else ${t.email} is null and ${t.username} is null and ${t.fullName} is null end`,
    ),
  ],
);

/**
 * The transactional outbox: a row is written in the same transaction as the change it announces,
 * and the relay publishes unpublished rows in id order, then sets `published_at`. Published rows
 * are pruned past a retention by the scheduler's daily cleanup.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    eventId: uuid('event_id').notNull().unique(),
    topic: text('topic').notNull(),
    key: text('key').notNull(),
    payload: jsonb('payload').notNull(),
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    publishedAt: timestamp('published_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('outbox_unpublished_idx').on(t.id).where(sql`${t.publishedAt} is null`)],
);

/**
 * Replayed POST requests: a retried request with the same Idempotency-Key gets the first
 * response; the same key with another body is refused (`request_hash` differs).
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    key: text('key').primaryKey(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code').notNull(),
    response: jsonb('response').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  // For the scheduler's daily cleanup of keys past IDEMPOTENCY_KEY_RETENTION.
  (t) => [index('idempotency_keys_created_at_idx').on(t.createdAt)],
);

/**
 * Events a consumer group has handled, with the outcome, so that a redelivered event does
 * nothing twice. Pruned past a retention by the scheduler's daily cleanup.
 */
export const processedEvents = pgTable(
  'processed_events',
  {
    consumerGroup: text('consumer_group').notNull(),
    eventId: text('event_id').notNull(),
    outcome: text('outcome').notNull(),
    /** For outcome 'retried': the attempt waiting in a retry topic (an older one is skipped). */
    attempt: integer('attempt'),
    processedAt: timestamp('processed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.consumerGroup, t.eventId] }),
    // Only the daily retention reads it (the oldest rows first): BRIN costs each insert next to
    // nothing where a b-tree costs a leaf insert (migration 0012).
    index('processed_events_processed_at_brin').using('brin', t.processedAt),
  ],
);

/**
 * A consumer group's outbox: what a settled event still owes Kafka (the events its handler
 * emitted, or its retry or dead letter), written in the same statement as its processed_events
 * mark and deleted once published. A row older than a few seconds was left by a process that
 * stopped or crashed before publishing it; the group's next consumer publishes it, with the same
 * event ids, which every consumer drops as duplicates.
 */
export const consumerOutbox = pgTable(
  'consumer_outbox',
  {
    id: uuid('id').primaryKey(),
    consumerGroup: text('consumer_group').notNull(),
    eventId: text('event_id').notNull(),
    /** [{ topic, key, value, headers }], key and value as { text } or { base64 }. */
    messages: jsonb('messages').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  // No index but the key: the table holds only what is being published (a few rows), and its
  // sweep reads it whole for less than an index every settle would write (migration 0012).
);

/**
 * Durable delayed messages: published to `topic` when `due_at` has passed. The dispatcher claims
 * due rows with FOR UPDATE SKIP LOCKED, so several scheduler replicas never emit a row twice.
 */
export const scheduledMessages = pgTable(
  'scheduled_messages',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    scheduleKey: text('schedule_key').notNull(),
    topic: text('topic').notNull(),
    messageKey: text('message_key').notNull(),
    value: jsonb('value').notNull(),
    /** Kafka headers to publish with, the trace context of the request among them. */
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    dueAt: timestamp('due_at', { withTimezone: true, mode: 'date' }).notNull(),
    state: text('state', { enum: ['pending', 'dispatched', 'cancelled'] }).notNull().default('pending'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    dispatchedAt: timestamp('dispatched_at', { withTimezone: true, mode: 'date' }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    // Ordered as the claim orders (due_at, id): rows due together (a campaign, a backlog) come out
    // of the index in claim order, where an index on due_at alone made every claim sort them all.
    index('scheduled_messages_due_idx').on(t.dueAt, t.id).where(sql`${t.state} = 'pending'`),
    uniqueIndex('scheduled_messages_pending_key').on(t.scheduleKey).where(sql`${t.state} = 'pending'`),
    // Every row whose key starts with a prefix, whatever its state (starts_with uses it): a
    // deleted user's follow-ups (`follow-up:<id>`) are found without reading the whole table.
    index('scheduled_messages_key_prefix_idx').using('btree', t.scheduleKey.op('text_pattern_ops')),
  ],
);

/**
 * Credentials of the api's callers. A key is `hk_<id>_<secret>`: the id finds the row, and only
 * the secret's sha256 is kept, compared in constant time. Scopes: `signup` (what a product's
 * backend holds) and `admin` (everything). A revoked key stays, so that its id is never reused.
 */
export const apiKeys = pgTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  scopes: text('scopes').array().notNull(),
  secretSha256: text('secret_sha256').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
});

/** Recurring jobs run on a cron expression by whichever scheduler replica claims them first. */
export const recurringJobs = pgTable('recurring_jobs', {
  name: text('name').primaryKey(),
  cron: text('cron').notNull(),
  nextRunAt: timestamp('next_run_at', { withTimezone: true, mode: 'date' }).notNull(),
  lastRunAt: timestamp('last_run_at', { withTimezone: true, mode: 'date' }),
  lastOutcome: text('last_outcome'),
});

/**
 * The notification timeline the api serves, projected from notification.status.v2 and the delivery
 * events. Pruned past a retention by the scheduler's daily cleanup.
 */
export const notificationTimeline = pgTable(
  'notification_timeline',
  {
    id: bigserial('id', { mode: 'bigint' }).primaryKey(),
    eventId: text('event_id').notNull().unique(),
    subjectId: uuid('subject_id').notNull(),
    correlationId: text('correlation_id').notNull(),
    channel: text('channel').notNull(),
    notification: text('notification').notNull(),
    status: text('status').notNull(),
    attempt: integer('attempt').notNull(),
    detail: text('detail'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    nextAt: timestamp('next_at', { withTimezone: true, mode: 'date' }),
    traceId: text('trace_id'),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('notification_timeline_subject_idx').on(t.subjectId, t.occurredAt, t.id)],
);

/** Dead letters an operator sent back for another try, so that none is redriven twice. */
export const deadLetterRedrives = pgTable(
  'dead_letter_redrives',
  {
    dlqTopic: text('dlq_topic').notNull(),
    partition: integer('partition').notNull(),
    offset: text('offset').notNull(),
    redriveCount: integer('redrive_count').notNull(),
    redrivenAt: timestamp('redriven_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.dlqTopic, t.partition, t.offset] })],
);
