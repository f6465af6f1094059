import { randomBytes, randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { newEvent, NotificationStatus, UserDeleted } from '@herald/contracts';
import { outbox } from '@herald/db';
import { tablesHolding } from '@herald/testing';
import { newSignup, testApp, type UserBody } from './app.fixture';
import { recordTimeline, statusRecord } from './timeline.repository';

// Integration: through app.inject() against the real PostgreSQL. Every table of the public schema
// is searched, so what another test writes meanwhile cannot hide a leak of this user's data; the
// scheduler's part (scheduled_messages) is in tests/src/signup-flow.test.ts, with every service.
describe('erasure: DELETE /api/v1/users/:id', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t.close());

  const holding = (text: string) => tablesHolding((query, values) => t.database.pool.query(query, values), text);

  it('leaves no table holding the address, username or full name of the user', async () => {
    const input = newSignup({ full_name: `Ada ${randomBytes(6).toString('hex')}` });
    const signup = await t.asAdmin({
      method: 'POST',
      url: '/api/v1/users',
      payload: input,
      headers: { 'idempotency-key': `erasure-${randomUUID()}` },
    });
    expect(signup.statusCode).toBe(201);
    const user = signup.json<UserBody>();
    // The relay published UserCreated; the notifications reported steps quoting the address (an
    // SMTP error before the mailer redacted them, a detail).
    await t.database.db.update(outbox).set({ publishedAt: new Date() }).where(eq(outbox.key, user.id));
    const step = (change: object) =>
      statusRecord(
        newEvent(NotificationStatus, {
          subjectId: user.id,
          channel: 'email',
          notification: 'welcome',
          status: 'retrying',
          attempt: 1,
          at: new Date().toISOString(),
          ...change,
        }),
      );
    await recordTimeline(t.database.db, [
      step({ errorCode: 'SMTP_TRANSIENT', errorMessage: `452 4.2.2 <${input.email}>: mailbox full` }),
      step({ status: 'requested', attempt: 0, detail: `welcome for ${input.full_name} (${input.username})` }),
    ]);
    // The search finds each where it is before the deletion (the outbox's UserCreated names the
    // user by id only).
    for (const text of [input.email, input.username, input.full_name]) {
      expect(await holding(text)).toEqual(['idempotency_keys', 'notification_timeline', 'users']);
    }

    expect((await t.asAdmin({ method: 'DELETE', url: `/api/v1/users/${user.id}` })).statusCode).toBe(204);

    for (const text of [input.email, input.username, input.full_name]) expect(await holding(text)).toEqual([]);
    // What is still owed goes out: UserDeleted, unpublished, which carries no personal data.
    const owed = await t.database.db.execute<{ topic: string }>(
      sql`select topic from ${outbox} where key = ${user.id} and published_at is null`,
    );
    expect(owed.rows).toEqual([{ topic: UserDeleted.name }]);
    expect((await t.asAdmin({ method: 'GET', url: `/api/v1/users/${user.id}` })).statusCode).toBe(404);
    expect((await t.asAdmin({ method: 'GET', url: `/api/v1/users/${user.id}/notifications` })).statusCode).toBe(404);
  });
});
