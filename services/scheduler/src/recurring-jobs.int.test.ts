import { and, eq, inArray, like } from 'drizzle-orm';
import { idempotencyKeys, openDatabase, processedEvents, recurringJobs, type DatabaseHandle } from '@herald/db';
import { infrastructure, uniqueName, waitFor } from '@herald/testing';
import { ManualClock } from './clock';
import type { SchedulerLogger } from './logger';
import { cleanupIdempotencyKeysJob, cleanupProcessedEventsJob, deleteProcessedEventsBefore } from './retention.cleanup';
import { RecurringJobs } from './recurring-jobs';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const quiet: SchedulerLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

// Integration: the real PostgreSQL. Job names are this file's own; the production job's row is
// never touched.
describe('RecurringJobs', () => {
  const handles: DatabaseHandle[] = [];
  const runners: RecurringJobs[] = [];
  const database = (): DatabaseHandle => {
    const handle = openDatabase(infrastructure().databaseUrl, { max: 4 });
    handles.push(handle);
    return handle;
  };
  const runner = (clock: ManualClock, handle = database()) => {
    const r = new RecurringJobs({ db: handle.db, logger: quiet, clock });
    runners.push(r);
    return r;
  };
  const row = async (name: string) => {
    const [found] = await handles[0]!.db
      .select()
      .from(recurringJobs)
      .where(eq(recurringJobs.name, name));
    return found!;
  };
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });
  afterAll(async () => {
    await handles[0]!.db.delete(recurringJobs).where(like(recurringJobs.name, 'test-job-%'));
    await Promise.all(handles.map((h) => h.close()));
  });

  it('runs each due time once across two replicas, each with its own pool', async () => {
    const name = uniqueName('test-job');
    const clock = new ManualClock(new Date('2031-03-01T10:07:23Z'));
    let runs = 0;
    const job = async () => {
      runs += 1;
      await new Promise((r) => setTimeout(r, 50));
      return runs;
    };
    const a = runner(clock);
    const b = runner(clock);
    expect(await a.register(name, '*/5 * * * *', job)).toEqual({
      nextRunAt: new Date('2031-03-01T10:10:00Z'),
    });
    expect(await b.register(name, '*/5 * * * *', job)).toEqual({
      nextRunAt: new Date('2031-03-01T10:10:00Z'),
    });

    // Both look at once, directly.
    expect((await Promise.all([a.runDue(), b.runDue()])).flat()).toEqual([]);
    clock.advance(5 * MINUTE);
    const records = (await Promise.all([a.runDue(), b.runDue()])).flat();
    expect(records).toEqual([
      {
        name,
        scheduledFor: new Date('2031-03-01T10:10:00Z'),
        ranAt: new Date('2031-03-01T10:12:23Z'),
        outcome: 'ok: 1',
        nextRunAt: new Date('2031-03-01T10:15:00Z'),
      },
    ]);

    // And as loops that sleep on the clock.
    a.start();
    b.start();
    for (let expected = 2; expected <= 4; expected += 1) {
      await waitFor(() => clock.sleeping >= 2, { description: 'both runners to sleep' });
      clock.advance(5 * MINUTE);
      await waitFor(async () => (await row(name)).lastOutcome === `ok: ${expected}`, {
        description: `run ${expected}`,
      });
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toBe(4);
    expect(await row(name)).toMatchObject({
      lastRunAt: new Date('2031-03-01T10:27:23Z'),
      nextRunAt: new Date('2031-03-01T10:30:00Z'),
    });
  });

  it('keeps the next run time when registered again with the same cron, recomputes it when the cron changes', async () => {
    const name = uniqueName('test-job');
    const clock = new ManualClock(new Date('2031-03-01T10:07:23Z'));
    const r = runner(clock);
    await r.register(name, '0 3 * * *', async () => undefined);
    clock.advance(DAY);
    expect(await r.register(name, '0 3 * * *', async () => undefined)).toEqual({
      nextRunAt: new Date('2031-03-02T03:00:00Z'),
    });
    expect(await r.register(name, '30 4 * * *', async () => undefined)).toEqual({
      nextRunAt: new Date('2031-03-03T04:30:00Z'),
    });
    await expect(r.register(name, 'not cron', async () => undefined)).rejects.toThrow(
      /"not cron" is not a cron expression/,
    );
  });

  it('records a failure and tries again sooner than the next cron time', async () => {
    const name = uniqueName('test-job');
    const clock = new ManualClock(new Date('2031-03-01T02:59:00Z'));
    const r = runner(clock);
    await r.register(name, '0 3 * * *', async () => {
      throw new Error('disk full');
    });
    clock.advance(2 * MINUTE);
    const [record] = await r.runDue();
    expect(record).toMatchObject({
      outcome: 'failed: disk full',
      nextRunAt: new Date('2031-03-01T03:06:00Z'),
    });
    expect(await row(name)).toMatchObject({
      lastOutcome: 'failed: disk full',
      lastRunAt: new Date('2031-03-01T03:01:00Z'),
    });
  });
});

describe('processed_events cleanup', () => {
  const handle = openDatabase(infrastructure().databaseUrl);
  afterAll(async () => {
    await handle.db.delete(recurringJobs).where(like(recurringJobs.name, 'test-job-cleanup-%'));
    await handle.close();
  });

  it('deletes the rows older than the retention, in batches, and only those', async () => {
    const group = uniqueName('test-group');
    const now = new Date();
    const rows = [
      ...['old-1', 'old-2', 'old-3'].map((eventId) => ({
        eventId,
        processedAt: new Date(now.getTime() - 8 * DAY),
      })),
      ...['new-1', 'new-2'].map((eventId) => ({
        eventId,
        processedAt: new Date(now.getTime() - 6 * DAY),
      })),
    ];
    await handle.db
      .insert(processedEvents)
      .values(rows.map((r) => ({ ...r, consumerGroup: group, outcome: 'handled' })));
    const mine = () =>
      handle.db
        .select({ eventId: processedEvents.eventId })
        .from(processedEvents)
        .where(eq(processedEvents.consumerGroup, group))
        .orderBy(processedEvents.eventId);

    expect(
      await deleteProcessedEventsBefore(handle.db, new Date(now.getTime() - 9 * DAY), {
        batchSize: 2,
      }),
    ).toBeGreaterThanOrEqual(0);
    expect(await mine()).toHaveLength(5);
    expect(
      await deleteProcessedEventsBefore(handle.db, new Date(now.getTime() - 7 * DAY), {
        batchSize: 2,
      }),
    ).toBeGreaterThanOrEqual(3);
    expect(await mine()).toEqual([{ eventId: 'new-1' }, { eventId: 'new-2' }]);
  });

  it('runs as a recurring job whose outcome is the count', async () => {
    const group = uniqueName('test-group');
    // Near the real time: the table is shared, and a clock years ahead would delete every row.
    const clock = new ManualClock();
    await handle.db.insert(processedEvents).values({
      consumerGroup: group,
      eventId: 'ancient',
      outcome: 'handled',
      processedAt: new Date(clock.now().getTime() - 30 * DAY),
    });
    const jobs = new RecurringJobs({ db: handle.db, logger: quiet, clock });
    const name = uniqueName('test-job-cleanup');
    await jobs.register(name, '* * * * *', cleanupProcessedEventsJob(handle.db, 7 * DAY));
    clock.advance(MINUTE);
    const [record] = await jobs.runDue();
    expect(record?.outcome).toMatch(/^ok: deleted [1-9]\d*$/);
    const left = await handle.db
      .select()
      .from(processedEvents)
      .where(
        and(
          eq(processedEvents.consumerGroup, group),
          inArray(processedEvents.eventId, ['ancient']),
        ),
      );
    expect(left).toEqual([]);
  });

  it('forgets idempotency keys past their retention and keeps the recent ones', async () => {
    const prefix = uniqueName('test-key');
    const clock = new ManualClock();
    const at = (ago: number) => new Date(clock.now().getTime() - ago);
    await handle.db.insert(idempotencyKeys).values(
      [
        { key: `${prefix}-old`, createdAt: at(2 * DAY) },
        { key: `${prefix}-recent`, createdAt: at(HOUR) },
      ].map((k) => ({ ...k, requestHash: 'h', statusCode: 201, response: {} })),
    );
    const jobs = new RecurringJobs({ db: handle.db, logger: quiet, clock });
    const name = uniqueName('test-job-keys');
    await jobs.register(name, '* * * * *', cleanupIdempotencyKeysJob(handle.db, DAY));
    clock.advance(MINUTE);
    const [record] = await jobs.runDue();
    expect(record?.outcome).toMatch(/^ok: deleted [1-9]\d*$/);
    const left = await handle.db
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(like(idempotencyKeys.key, `${prefix}-%`));
    expect(left).toEqual([{ key: `${prefix}-recent` }]);
  });
});
