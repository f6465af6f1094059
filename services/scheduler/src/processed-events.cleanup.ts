import { sql } from 'drizzle-orm';
import { processedEvents } from '@herald/db';
import type { RecurringJobRun } from './recurring-jobs';
import type { DbExecutor } from './scheduled-messages.store';

/** Name of the daily clean-up of processed_events in recurring_jobs. */
export const CLEANUP_JOB_NAME = 'cleanup-processed-events';

/**
 * Deletes processed_events rows recorded before `cutoff`, `batchSize` rows per statement so no
 * single statement holds many locks or a long transaction. Stops between batches when `signal`
 * aborts. Returns how many rows were deleted.
 */
export async function deleteProcessedEventsBefore(
  db: DbExecutor,
  cutoff: Date,
  options: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 5000;
  let total = 0;
  for (;;) {
    const result = await db.execute(sql`
      delete from ${processedEvents}
      where (consumer_group, event_id) in (
        select consumer_group, event_id from ${processedEvents}
        where processed_at < ${cutoff}
        limit ${batchSize}
      )`);
    const deleted = result.rowCount ?? 0;
    total += deleted;
    if (deleted < batchSize || options.signal?.aborted) return total;
  }
}

/**
 * The seed's daily cleanup as a recurring job: forget processed events older than `retentionMs`
 * (PROCESSED_EVENTS_RETENTION) as of the job's run time. Its outcome is the count deleted.
 */
export function cleanupProcessedEventsJob(db: DbExecutor, retentionMs: number): RecurringJobRun {
  return async ({ now, signal }) => {
    const deleted = await deleteProcessedEventsBefore(db, new Date(now.getTime() - retentionMs), {
      signal,
    });
    return `deleted ${deleted}`;
  };
}
