import { sql, type SQL } from 'drizzle-orm';
import { idempotencyKeys, processedEvents } from '@herald/db';
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
 * Runs `deleteBatch(limit)` until it deletes fewer than `limit` rows: no single statement holds
 * many locks or a long transaction. Returns how many rows were deleted.
 */
async function deleteInBatches(db: DbExecutor, deleteBatch: (limit: number) => SQL, options: DeleteOptions): Promise<number> {
  const batchSize = options.batchSize ?? 5000;
  let total = 0;
  for (;;) {
    const result = await db.execute(deleteBatch(batchSize));
    const deleted = result.rowCount ?? 0;
    total += deleted;
    if (deleted < batchSize || options.signal?.aborted) return total;
  }
}

/** Deletes processed_events rows recorded before `cutoff`, in batches. */
export function deleteProcessedEventsBefore(db: DbExecutor, cutoff: Date, options: DeleteOptions = {}): Promise<number> {
  return deleteInBatches(
    db,
    (limit) => sql`
      delete from ${processedEvents}
      where (consumer_group, event_id) in (
        select consumer_group, event_id from ${processedEvents}
        where processed_at < ${cutoff}
        limit ${limit}
      )`,
    options,
  );
}

/** Deletes idempotency keys recorded before `cutoff`, in batches. */
export function deleteIdempotencyKeysBefore(db: DbExecutor, cutoff: Date, options: DeleteOptions = {}): Promise<number> {
  return deleteInBatches(
    db,
    (limit) => sql`
      delete from ${idempotencyKeys}
      where key in (select key from ${idempotencyKeys} where created_at < ${cutoff} limit ${limit})`,
    options,
  );
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
