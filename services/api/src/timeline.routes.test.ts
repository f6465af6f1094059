import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { newEvent, NotificationStatus, type DataOf } from '@herald/contracts';
import { notificationTimeline, openDatabase } from '@herald/db';
import { infrastructure, scansSoFar, waitFor } from '@herald/testing';
import { newSignup, testApp, type ErrorResponseBody, type UserBody } from './app.fixture';
import { recordTimeline, statusRecord } from './timeline.repository';

interface TimelineBody {
  user_id: string;
  notifications: Record<string, unknown>[];
}

// Integration: through app.inject() against the real PostgreSQL.
describe('GET /api/v1/users/:id/notifications', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t.close());

  const entriesOf = (subjectId: string) =>
    t.database.db.select().from(notificationTimeline).where(eq(notificationTimeline.subjectId, subjectId));

  const status = (subjectId: string, change: Partial<DataOf<typeof NotificationStatus>>) =>
    newEvent(NotificationStatus, {
      subjectId,
      channel: 'email',
      notification: 'welcome',
      status: 'sent',
      attempt: 1,
      at: new Date().toISOString(),
      ...change,
    });

  it('answers 404 for an unknown user and 400 for an id that is not a UUID', async () => {
    const missing = await t.asAdmin({ method: 'GET', url: `/api/v1/users/${randomUUID()}/notifications` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<ErrorResponseBody>().error).toBe('not_found');
    const bad = await t.asAdmin({ method: 'GET', url: '/api/v1/users/abc/notifications' });
    expect(bad.statusCode).toBe(400);
  });

  it('lists a user’s notification steps in the order they happened, all fields included', async () => {
    const user = (await t.asAdmin({ method: 'POST', url: '/api/v1/users', payload: newSignup() })).json<UserBody>();
    const empty = await t.asAdmin({ method: 'GET', url: `/api/v1/users/${user.id}/notifications` });
    expect(empty.json()).toEqual({ user_id: user.id, notifications: [] });

    const retrying = status(user.id, {
      status: 'retrying',
      at: '2026-11-28T10:00:01.000Z',
      errorCode: 'SMTP_TRANSIENT',
      errorMessage: '421 try later',
      nextAt: '2026-11-28T10:00:05.000Z',
      traceId: 'a'.repeat(32),
    });
    const requested = status(user.id, { status: 'requested', attempt: 0, at: '2026-11-28T10:00:00.000Z' });
    const sent = status(user.id, { attempt: 2, at: '2026-11-28T10:00:06.000Z', detail: 'accepted by SMTP' });
    // Recorded out of order: the timeline sorts by when each step happened.
    await recordTimeline(t.database.db, [sent, requested, retrying].map(statusRecord));

    const response = await t.asAdmin({ method: 'GET', url: `/api/v1/users/${user.id}/notifications` });
    expect(response.statusCode).toBe(200);
    const body = response.json<TimelineBody>();
    expect(body.notifications.map((n) => n.status)).toEqual(['requested', 'retrying', 'sent']);
    expect(body.notifications[1]).toEqual({
      channel: 'email',
      notification: 'welcome',
      status: 'retrying',
      attempt: 1,
      detail: null,
      error_code: 'SMTP_TRANSIENT',
      error_message: '421 try later',
      next_at: '2026-11-28T10:00:05.000Z',
      trace_id: 'a'.repeat(32),
      occurred_at: '2026-11-28T10:00:01.000Z',
      event_id: retrying.id,
      correlation_id: retrying.correlationId,
    });
  });

  it('erases the timeline of a deleted user, answers 404 for it, and records nothing for them after', async () => {
    const user = (await t.asAdmin({ method: 'POST', url: '/api/v1/users', payload: newSignup() })).json<UserBody>();
    await recordTimeline(t.database.db, [statusRecord(status(user.id, { status: 'requested', attempt: 0 }))]);
    expect((await entriesOf(user.id)).length).toBe(1);
    expect((await t.asAdmin({ method: 'DELETE', url: `/api/v1/users/${user.id}` })).statusCode).toBe(204);
    const response = await t.asAdmin({ method: 'GET', url: `/api/v1/users/${user.id}/notifications` });
    expect(response.statusCode).toBe(404);
    expect(response.json<ErrorResponseBody>().error).toBe('not_found');
    expect(await entriesOf(user.id)).toEqual([]);

    // An event still in flight when the user was erased (the scheduler's cancellation), beside
    // one about an alert, which is no user: only the alert's is recorded.
    const alertId = randomUUID();
    await recordTimeline(t.database.db, [
      statusRecord(status(user.id, { channel: 'scheduler', notification: 'follow-up', status: 'cancelled' })),
      statusRecord(status(alertId, { notification: 'alert', status: 'requested', attempt: 0 })),
    ]);
    expect(await entriesOf(user.id)).toEqual([]);
    expect(await entriesOf(alertId)).toHaveLength(1);
  });

  it('looks each subject up by its primary key, even where the planner would rather scan users', async () => {
    const signUp = async () => (await t.asAdmin({ method: 'POST', url: '/api/v1/users', payload: newSignup() })).json<UserBody>();
    const users = [await signUp(), await signUp(), await signUp()];
    const records = Array.from({ length: 120 }, (_, n) => statusRecord(status(users[n % users.length]!.id, { attempt: n + 1 })));
    await t.database.db.transaction(async (tx) => {
      const seqScans = () => scansSoFar((text) => tx.execute(sql.raw(text)), 'users');
      // Index pages priced a thousand times a sequential one: a plan left to the costs scans the table.
      await tx.execute(sql`set local random_page_cost = 1000`);
      const before = await seqScans();
      await recordTimeline(tx, records);
      expect((await seqScans()) - before).toBe(0);
    });
    expect(await entriesOf(users[0]!.id)).toHaveLength(40);
  });

  it('records a timeline insert that holds the user before their deletion, and the deletion then erases it', async () => {
    const user = (await t.asAdmin({ method: 'POST', url: '/api/v1/users', payload: newSignup() })).json<UserBody>();
    const other = openDatabase(infrastructure().databaseUrl, { max: 1 });
    try {
      // The insert's transaction holds the user FOR SHARE until it commits; the deletion waits for it.
      let deletion: Promise<number> | undefined;
      await other.db.transaction(async (tx) => {
        await recordTimeline(tx, [statusRecord(status(user.id, { status: 'requested', attempt: 0 }))]);
        const { rows } = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
        deletion = t.asAdmin({ method: 'DELETE', url: `/api/v1/users/${user.id}` }).then((r) => r.statusCode);
        await waitFor(
          async () => {
            const blocked = await t.database.db.execute<{ n: string }>(
              sql`select count(*) as n from pg_stat_activity where ${rows[0]?.pid} = any(pg_blocking_pids(pid))`,
            );
            return Number(blocked.rows[0]?.n) > 0;
          },
          { description: 'the deletion to wait for the insert' },
        );
      });
      expect(await deletion).toBe(204);
      expect(await entriesOf(user.id)).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
