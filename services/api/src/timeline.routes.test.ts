import { randomUUID } from 'node:crypto';
import { newEvent, NotificationStatus, type DataOf } from '@herald/contracts';
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

  it('keeps the timeline of a deleted user', async () => {
    const user = (await t.asAdmin({ method: 'POST', url: '/api/v1/users', payload: newSignup() })).json<UserBody>();
    await recordTimeline(t.database.db, [statusRecord(status(user.id, { channel: 'scheduler', notification: 'follow-up', status: 'cancelled' }))]);
    await t.asAdmin({ method: 'DELETE', url: `/api/v1/users/${user.id}` });
    const response = await t.asAdmin({ method: 'GET', url: `/api/v1/users/${user.id}/notifications` });
    expect(response.statusCode).toBe(200);
    expect(response.json<TimelineBody>().notifications).toHaveLength(1);
  });
});
