import { randomBytes, randomUUID } from 'node:crypto';
import { asc } from 'drizzle-orm';
import {
  consumerOutbox,
  deadLetterRedrives,
  migrateDatabase,
  notificationTimeline,
  openDatabase,
  outbox,
  scheduledMessages,
  type DatabaseHandle,
} from '@herald/db';
import { infrastructure } from '@herald/testing';
import { ManualClock } from './clock';
import { readEnv } from './env';
import type { SchedulerLogger } from './logger';
import { RecurringJobs } from './recurring-jobs';
import {
  cleanupJobs,
  deleteAbandonedOwedBefore,
  deleteFinishedScheduledBefore,
  deletePublishedOutboxBefore,
  deleteRedrivesBefore,
  deleteTimelineBefore,
} from './retention.cleanup';

const DAY = 86_400_000;
const quiet: SchedulerLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

// Integration: the real PostgreSQL, in a database of this file's own, migrated here: each prune
// reads its whole table, which other test files share in the common database.
describe('retention cleanups', () => {
  const name = `herald_retention_${randomBytes(4).toString('hex')}`;
  const admin = openDatabase(infrastructure().databaseUrl, { max: 1 });
  let handle: DatabaseHandle;
  const now = new Date();
  const ago = (ms: number) => new Date(now.getTime() - ms);

  beforeAll(async () => {
    await admin.pool.query(`create database ${name}`);
    const url = new URL(infrastructure().databaseUrl);
    url.pathname = `/${name}`;
    await migrateDatabase(url.toString());
    handle = openDatabase(url.toString());
  });
  afterAll(async () => {
    await handle?.close();
    await admin.pool.query(`drop database if exists ${name} with (force)`);
    await admin.close();
  });

  const outboxRow = (label: string, createdAt: Date, publishedAt: Date | null) => ({
    eventId: randomUUID(),
    topic: 'test.retention.v1',
    key: label,
    payload: {},
    createdAt,
    publishedAt,
  });
  const timelineRow = (label: string, occurredAt: Date) => ({
    eventId: randomUUID(),
    subjectId: randomUUID(),
    correlationId: label,
    channel: 'email',
    notification: 'welcome',
    status: 'requested',
    attempt: 0,
    occurredAt,
  });
  const scheduledRow = (label: string, createdAt: Date, finished: { dispatchedAt?: Date; cancelledAt?: Date } = {}) => ({
    scheduleKey: label,
    topic: 'test.retention.v1',
    messageKey: label,
    value: {},
    dueAt: finished.dispatchedAt ?? new Date(now.getTime() + 365 * DAY),
    state: finished.dispatchedAt ? ('dispatched' as const) : finished.cancelledAt ? ('cancelled' as const) : ('pending' as const),
    createdAt,
    ...finished,
  });

  it('deletes the outbox rows published before the cutoff, in batches, and keeps the unpublished and recent ones', async () => {
    // Made in time order, as the api makes them: ids grow with created_at.
    await handle.db.insert(outbox).values([
      outboxRow('old-1', ago(9 * DAY), ago(9 * DAY)),
      outboxRow('old-2', ago(9 * DAY), ago(9 * DAY)),
      outboxRow('old-unpublished', ago(8 * DAY), null),
      outboxRow('old-3', ago(8 * DAY), ago(8 * DAY)),
      outboxRow('recent-1', ago(DAY), ago(DAY)),
      outboxRow('recent-unpublished', ago(DAY), null),
    ]);
    expect(await deletePublishedOutboxBefore(handle.db, ago(7 * DAY), { batchSize: 2 })).toBe(3);
    const left = await handle.db.select({ key: outbox.key }).from(outbox).orderBy(asc(outbox.id));
    expect(left.map((r) => r.key)).toEqual(['old-unpublished', 'recent-1', 'recent-unpublished']);
    expect(await deletePublishedOutboxBefore(handle.db, ago(7 * DAY), { batchSize: 2 })).toBe(0);
  });

  it('deletes the timeline steps that happened before the cutoff', async () => {
    await handle.db
      .insert(notificationTimeline)
      .values([timelineRow('old-1', ago(100 * DAY)), timelineRow('old-2', ago(95 * DAY)), timelineRow('recent', ago(10 * DAY))]);
    expect(await deleteTimelineBefore(handle.db, ago(90 * DAY), { batchSize: 2 })).toBe(2);
    const left = await handle.db.select({ label: notificationTimeline.correlationId }).from(notificationTimeline);
    expect(left).toEqual([{ label: 'recent' }]);
  });

  it('deletes the scheduled messages dispatched or cancelled before the cutoff, and no pending one', async () => {
    await handle.db.insert(scheduledMessages).values([
      scheduledRow('pending-next-year', ago(30 * DAY)),
      scheduledRow('dispatched-old', ago(12 * DAY), { dispatchedAt: ago(9 * DAY) }),
      scheduledRow('cancelled-old', ago(11 * DAY), { cancelledAt: ago(10 * DAY) }),
      scheduledRow('dispatched-recent', ago(9 * DAY), { dispatchedAt: ago(6 * DAY) }),
      scheduledRow('cancelled-recent', ago(2 * DAY), { cancelledAt: ago(DAY) }),
      scheduledRow('pending-recent', ago(DAY)),
    ]);
    expect(await deleteFinishedScheduledBefore(handle.db, ago(7 * DAY), { batchSize: 2 })).toBe(2);
    const left = await handle.db.select({ key: scheduledMessages.scheduleKey }).from(scheduledMessages).orderBy(asc(scheduledMessages.id));
    expect(left.map((r) => r.key)).toEqual(['pending-next-year', 'dispatched-recent', 'cancelled-recent', 'pending-recent']);
  });

  it('forgets the redrives made before the cutoff', async () => {
    const dlq = 'herald-test.user.created.v1.dlq';
    await handle.db.insert(deadLetterRedrives).values(
      [
        { offset: '1', redrivenAt: ago(31 * DAY) },
        { offset: '2', redrivenAt: ago(40 * DAY) },
        { offset: '3', redrivenAt: ago(DAY) },
      ].map((r) => ({ ...r, dlqTopic: dlq, partition: 0, redriveCount: 1 })),
    );
    expect(await deleteRedrivesBefore(handle.db, ago(30 * DAY), { batchSize: 1 })).toBe(2);
    expect(await handle.db.select({ offset: deadLetterRedrives.offset }).from(deadLetterRedrives)).toEqual([{ offset: '3' }]);
  });

  it('deletes the owed messages no consumer of their group published before the cutoff', async () => {
    const owed = (label: string, createdAt: Date) => ({ id: randomUUID(), consumerGroup: label, eventId: label, messages: [], createdAt });
    await handle.db.insert(consumerOutbox).values([owed('abandoned', ago(8 * DAY)), owed('older', ago(30 * DAY)), owed('fresh', ago(1000))]);
    expect(await deleteAbandonedOwedBefore(handle.db, ago(7 * DAY), { batchSize: 1 })).toBe(2);
    expect(await handle.db.select({ group: consumerOutbox.consumerGroup }).from(consumerOutbox)).toEqual([{ group: 'fresh' }]);
  });

  it('runs every cleanup as a recurring job on CLEANUP_CRON, each with its retention, the count as its outcome', async () => {
    await handle.db.insert(outbox).values(outboxRow('ancient', ago(30 * DAY), ago(30 * DAY)));
    await handle.db.insert(notificationTimeline).values(timelineRow('ancient', ago(200 * DAY)));
    const clock = new ManualClock(now);
    const jobs = new RecurringJobs({ db: handle.db, logger: quiet, clock });
    const env = readEnv({ DATABASE_URL: infrastructure().databaseUrl, CLEANUP_CRON: '* * * * *' });
    for (const job of cleanupJobs(handle.db, env)) await jobs.register(job.name, env.CLEANUP_CRON, job.run);
    clock.advance(60_000);
    const outcomes = Object.fromEntries((await jobs.runDue()).map((r) => [r.name, r.outcome]));
    expect(outcomes).toEqual({
      'cleanup-processed-events': 'ok: deleted 0',
      'cleanup-idempotency-keys': 'ok: deleted 0',
      'cleanup-outbox': 'ok: deleted 1',
      'cleanup-notification-timeline': 'ok: deleted 1',
      'cleanup-scheduled-messages': 'ok: deleted 0',
      'cleanup-dead-letter-redrives': 'ok: deleted 0',
      'cleanup-consumer-outbox': 'ok: deleted 0',
    });
  });
});
