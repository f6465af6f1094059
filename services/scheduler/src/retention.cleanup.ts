import { sql, type SQL } from 'drizzle-orm';
import {
  consumerOutbox,
  deadLetterRedrives,
  idempotencyKeys,
  notificationTimeline,
  outbox,
  processedEvents,
  scheduledMessages,
  type Database,
} from '@herald/db';
import type { Env } from './env';
import type { RecurringJobRun } from './recurring-jobs';
import type { DbExecutor } from './scheduled-messages.store';

/** Name of the daily clean-up of processed_events in recurring_jobs. */
export const CLEANUP_JOB_NAME = 'cleanup-processed-events';

/** Name of the daily clean-up of the api's idempotency_keys in recurring_jobs. */
export const IDEMPOTENCY_CLEANUP_JOB_NAME = 'cleanup-idempotency-keys';

export interface DeleteOptions {
  /** Rows per statement; default 5000. */
  batchSize?: number;
  /** Stops between batches when aborted. */
  signal?: AbortSignal;
}

/**
 * Deletes the rows of `table` that `where` picks, `batchSize` a statement (found by `key`, its
 * primary key's columns), until a statement deletes fewer: no single statement holds many locks
 * or a long transaction. Returns how many rows were deleted.
 */
async function deleteInBatches(
  db: DbExecutor,
  {
    table,
    key,
    where,
  }: { table: typeof processedEvents | typeof idempotencyKeys | typeof deadLetterRedrives | typeof consumerOutbox; key: SQL; where: SQL },
  options: DeleteOptions,
): Promise<number> {
  const batchSize = options.batchSize ?? 5000;
  let total = 0;
  for (;;) {
    const result = await db.execute(
      sql`delete from ${table} where (${key}) in (select ${key} from ${table} where ${where} limit ${batchSize})`,
    );
    const deleted = result.rowCount ?? 0;
    total += deleted;
    if (deleted < batchSize || options.signal?.aborted) return total;
  }
}

/** Deletes processed_events rows recorded before `cutoff`, in batches. */
export function deleteProcessedEventsBefore(db: DbExecutor, cutoff: Date, options: DeleteOptions = {}): Promise<number> {
  const where = sql`processed_at < ${cutoff}`;
  return deleteInBatches(db, { table: processedEvents, key: sql`consumer_group, event_id`, where }, options);
}

/** Which rows of a table with a bigserial id `pruneInIdOrder` deletes, and where it stops. */
interface IdOrderPrune {
  table: typeof outbox | typeof notificationTimeline | typeof scheduledMessages;
  /** A row past its retention. */
  expired: SQL;
  /** A row made after the cutoff: it and every row after it in id order are too young. */
  young: SQL;
}

/**
 * Deletes the expired rows of a table in id order, a batch at a time (the next `batchSize` rows
 * by primary key, after the last one seen), and stops after the first batch that holds a young
 * row: ids grow as rows are made, so the rows after it are younger still. Rows kept on the way
 * (a follow-up due next year, an event not published yet) are read again by each run.
 *
 * Only the primary key is read, so nothing is added to the writes of these tables: an index on
 * `published_at` would cost every signup's outbox row a write. A row made out of id order (an
 * event projected late) may outlive its retention until the rows before it expire.
 */
async function pruneInIdOrder(db: DbExecutor, prune: IdOrderPrune, options: DeleteOptions): Promise<number> {
  const batchSize = options.batchSize ?? 5000;
  let after = '0';
  let total = 0;
  for (;;) {
    const { rows } = await db.execute<{ deleted: number; seen: number; last: string | null; young: boolean }>(sql`
      with batch as (
        select id, ${prune.expired} as expired, ${prune.young} as young from ${prune.table}
        where id > ${after}::bigint order by id limit ${batchSize}
      ), deleted as (
        delete from ${prune.table} where id in (select id from batch where expired) returning 1
      )
      select (select count(*)::int from deleted) as deleted, count(*)::int as seen,
        max(id)::text as last, coalesce(bool_or(young), false) as young
      from batch`);
    const [batch] = rows;
    total += batch?.deleted ?? 0;
    if (!batch?.last || batch.seen < batchSize || batch.young || options.signal?.aborted) return total;
    after = batch.last;
  }
}

/** Deletes the api's outbox rows published before `cutoff`; rows not published yet stay. */
export function deletePublishedOutboxBefore(db: DbExecutor, cutoff: Date, options: DeleteOptions = {}): Promise<number> {
  return pruneInIdOrder(
    db,
    { table: outbox, expired: sql`published_at < ${cutoff}`, young: sql`created_at >= ${cutoff}` },
    options,
  );
}

/** Deletes the notification timeline's entries of steps that happened before `cutoff`. */
export function deleteTimelineBefore(db: DbExecutor, cutoff: Date, options: DeleteOptions = {}): Promise<number> {
  return pruneInIdOrder(
    db,
    { table: notificationTimeline, expired: sql`occurred_at < ${cutoff}`, young: sql`occurred_at >= ${cutoff}` },
    options,
  );
}

/** Deletes the scheduled messages dispatched or cancelled before `cutoff`; pending ones stay. */
export function deleteFinishedScheduledBefore(db: DbExecutor, cutoff: Date, options: DeleteOptions = {}): Promise<number> {
  return pruneInIdOrder(
    db,
    {
      table: scheduledMessages,
      expired: sql`state <> 'pending' and coalesce(dispatched_at, cancelled_at) < ${cutoff}`,
      young: sql`created_at >= ${cutoff}`,
    },
    options,
  );
}

/**
 * Deletes the records of dead letters redriven before `cutoff`. The table holds one row per
 * operator's redrive, so it is read whole; keep it longer than the dead-letter topics keep their
 * letters, or a letter could be redriven twice.
 */
export function deleteRedrivesBefore(db: DbExecutor, cutoff: Date, options: DeleteOptions = {}): Promise<number> {
  const where = sql`redriven_at < ${cutoff}`;
  return deleteInBatches(db, { table: deadLetterRedrives, key: sql`dlq_topic, partition, "offset"`, where }, options);
}

/**
 * Deletes the owed messages of consumer_outbox written before `cutoff`, unsent. A running group's
 * consumers publish a row within seconds (the sweep of rows left by a stopped process), so a row
 * this old belongs to a group that no longer runs, and its input topics have let go of the
 * events that owed them.
 */
export function deleteAbandonedOwedBefore(db: DbExecutor, cutoff: Date, options: DeleteOptions = {}): Promise<number> {
  return deleteInBatches(db, { table: consumerOutbox, key: sql`id`, where: sql`created_at < ${cutoff}` }, options);
}

/** Deletes idempotency keys recorded before `cutoff`, in batches. */
export function deleteIdempotencyKeysBefore(db: DbExecutor, cutoff: Date, options: DeleteOptions = {}): Promise<number> {
  return deleteInBatches(db, { table: idempotencyKeys, key: sql`key`, where: sql`created_at < ${cutoff}` }, options);
}

/**
 * A recurring job that deletes what `deleteBefore` covers, older than `retentionMs` as of the
 * job's run time. Its outcome is the count deleted.
 */
export function retentionJob(
  deleteBefore: (db: DbExecutor, cutoff: Date, options: DeleteOptions) => Promise<number>,
  db: DbExecutor,
  retentionMs: number,
): RecurringJobRun {
  return async ({ now, signal }) => {
    const deleted = await deleteBefore(db, new Date(now.getTime() - retentionMs), { signal });
    return `deleted ${deleted}`;
  };
}

/**
 * The seed's daily cleanup as a recurring job: forget processed events older than `retentionMs`
 * (PROCESSED_EVENTS_RETENTION).
 */
export function cleanupProcessedEventsJob(db: DbExecutor, retentionMs: number): RecurringJobRun {
  return retentionJob(deleteProcessedEventsBefore, db, retentionMs);
}

/**
 * Forget idempotency keys older than `retentionMs` (IDEMPOTENCY_KEY_RETENTION): a client retrying
 * a POST later than that is treated as making a new request.
 */
export function cleanupIdempotencyKeysJob(db: DbExecutor, retentionMs: number): RecurringJobRun {
  return retentionJob(deleteIdempotencyKeysBefore, db, retentionMs);
}

/** The retentions the recurring cleanups apply, in milliseconds. */
export type Retentions = Pick<
  Env,
  | 'PROCESSED_EVENTS_RETENTION_MS'
  | 'IDEMPOTENCY_KEY_RETENTION_MS'
  | 'OUTBOX_RETENTION_MS'
  | 'TIMELINE_RETENTION_MS'
  | 'SCHEDULED_MESSAGES_RETENTION_MS'
  | 'DEAD_LETTER_REDRIVES_RETENTION_MS'
  | 'CONSUMER_OUTBOX_RETENTION_MS'
>;

/** Every recurring cleanup, by its name in recurring_jobs; each runs on CLEANUP_CRON. */
export function cleanupJobs(db: Database, retentions: Retentions): { name: string; run: RecurringJobRun }[] {
  return [
    { name: CLEANUP_JOB_NAME, run: cleanupProcessedEventsJob(db, retentions.PROCESSED_EVENTS_RETENTION_MS) },
    { name: IDEMPOTENCY_CLEANUP_JOB_NAME, run: cleanupIdempotencyKeysJob(db, retentions.IDEMPOTENCY_KEY_RETENTION_MS) },
    { name: 'cleanup-outbox', run: retentionJob(deletePublishedOutboxBefore, db, retentions.OUTBOX_RETENTION_MS) },
    { name: 'cleanup-notification-timeline', run: retentionJob(deleteTimelineBefore, db, retentions.TIMELINE_RETENTION_MS) },
    {
      name: 'cleanup-scheduled-messages',
      run: retentionJob(deleteFinishedScheduledBefore, db, retentions.SCHEDULED_MESSAGES_RETENTION_MS),
    },
    {
      name: 'cleanup-dead-letter-redrives',
      run: retentionJob(deleteRedrivesBefore, db, retentions.DEAD_LETTER_REDRIVES_RETENTION_MS),
    },
    { name: 'cleanup-consumer-outbox', run: retentionJob(deleteAbandonedOwedBefore, db, retentions.CONSUMER_OUTBOX_RETENTION_MS) },
  ];
}
