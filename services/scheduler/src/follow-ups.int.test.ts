import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import {
  AlertRaised,
  assertEvent,
  ContractViolationError,
  EmailSentV2,
  FollowUpRequestedV2,
  newEvent,
  ScheduleCancelRequested,
  ScheduleRequested,
  UserDeleted,
} from '@herald/contracts';
import { openDatabase, users } from '@herald/db';
import { infrastructure, uniqueName } from '@herald/testing';
import {
  derivedEventId,
  followUpKey,
  onEmailSent,
  onUserDeleted,
} from './follow-ups';
import { onScheduleCancelRequested, onScheduleRequested } from './schedule-requests';
import { ScheduledMessagesStore } from './scheduled-messages.store';

const DELAY = 3 * 86_400_000;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

// Integration: the real PostgreSQL (users and scheduled_messages). Each test has users of its own.
describe('follow-ups', () => {
  const database = openDatabase(infrastructure().databaseUrl);
  const store = new ScheduledMessagesStore(database.db);
  const deps = { store, followUpDelayMs: DELAY, scheduleRequestTopics: [FollowUpRequestedV2.name] };
  const created: string[] = [];
  afterAll(async () => {
    for (const id of created) await store.cancelByPrefix(followUpKey(id));
    await database.close();
  });

  async function user(deleted = false) {
    const id = randomUUID();
    const username = uniqueName('u').slice(0, 32);
    // A deleted user keeps no personal data (the check users_deleted_are_erased).
    const personal = deleted ? { email: null, username: null, fullName: null } : { email: `${id}@example.com`, username, fullName: 'Ada Lovelace' };
    await database.db.insert(users).values({ id, ...personal, deletedAt: deleted ? new Date() : null });
    created.push(id);
    return { id, username };
  }
  const emailSent = (subjectId: string, template: 'welcome' | 'follow-up' = 'welcome') =>
    newEvent(EmailSentV2, {
      subjectId,
      template,
      messageId: `<${randomUUID()}@herald.local>`,
      sentAt: '2030-01-01T09:00:00.000Z',
    });

  it('schedules the follow-up of a welcome email for sent time + delay, with the user\'s id and no personal data', async () => {
    const { id } = await user();
    const sent = emailSent(id);
    const result = await onEmailSent(sent, deps, {
      traceparent: TRACEPARENT,
      'herald-event-id': sent.id,
    });
    expect(result).toEqual({
      outcome: 'scheduled',
      subjectId: id,
      scheduleKey: `follow-up:${id}`,
      dueAt: new Date('2030-01-04T09:00:00.000Z'),
      eventId: derivedEventId(`${sent.id}/follow-up`),
      replaced: false,
    });
    const [row] = await store.history(`follow-up:${id}`);
    expect(row).toMatchObject({
      state: 'pending',
      topic: FollowUpRequestedV2.name,
      key: id,
      headers: { traceparent: TRACEPARENT },
    });
    expect(row?.dueAt).toEqual(new Date('2030-01-04T09:00:00.000Z'));
    const followUp = assertEvent(FollowUpRequestedV2, row?.value);
    expect(followUp).toMatchObject({
      id: result.outcome === 'scheduled' ? result.eventId : '',
      occurredAt: '2030-01-04T09:00:00.000Z',
      correlationId: sent.correlationId,
      causationId: sent.id,
      data: { userId: id, dueAt: '2030-01-04T09:00:00.000Z' },
    });
    expect(JSON.stringify(row?.value)).not.toContain(`${id}@example.com`);
  });

  it('a redelivered email event replaces the pending follow-up with the very same event', async () => {
    const { id } = await user();
    const sent = emailSent(id);
    const first = await onEmailSent(sent, deps);
    const again = await onEmailSent(sent, deps);
    expect(again).toMatchObject({ outcome: 'scheduled', replaced: true });
    expect(
      again.outcome === 'scheduled' &&
        first.outcome === 'scheduled' &&
        again.eventId === first.eventId,
    ).toBe(true);
    expect(await store.pendingCount({ scheduleKeyPrefix: followUpKey(id) })).toBe(1);
  });

  it('skips emails other than welcome, and users deleted or unknown', async () => {
    const alive = await user();
    const gone = await user(true);
    const unknown = randomUUID();
    expect(await onEmailSent(emailSent(alive.id, 'follow-up'), deps)).toEqual({
      outcome: 'skipped',
      subjectId: alive.id,
      reason: 'not-welcome',
    });
    expect(await onEmailSent(emailSent(gone.id), deps)).toEqual({
      outcome: 'skipped',
      subjectId: gone.id,
      reason: 'user-gone',
    });
    expect(await onEmailSent(emailSent(unknown), deps)).toEqual({
      outcome: 'skipped',
      subjectId: unknown,
      reason: 'user-gone',
    });
    for (const id of [alive.id, gone.id, unknown])
      expect(await store.history(followUpKey(id))).toEqual([]);
  });

  it('deletes the follow-ups of a deleted user, pending or not, counting the pending one as cancelled', async () => {
    const { id } = await user();
    // A follow-up replaced (cancelled), then the pending one; another user's stays.
    await onEmailSent(emailSent(id), deps);
    await onEmailSent(emailSent(id), deps);
    const other = await user();
    await onEmailSent(emailSent(other.id), deps);
    expect((await store.history(followUpKey(id))).map((r) => r.state)).toEqual(['cancelled', 'pending']);
    await database.db
      .update(users)
      .set({ email: null, username: null, fullName: null, deletedAt: new Date() })
      .where(eq(users.id, id));
    const deleted = newEvent(UserDeleted, { userId: id, deletedAt: new Date().toISOString() });
    expect(await onUserDeleted(deleted, deps)).toBe(1);
    expect(await onUserDeleted(deleted, deps)).toBe(0);
    expect(await store.history(followUpKey(id))).toEqual([]);
    expect((await store.history(followUpKey(other.id))).map((r) => r.state)).toEqual(['pending']);
  });
});

describe('generic schedule requests', () => {
  const database = openDatabase(infrastructure().databaseUrl);
  const store = new ScheduledMessagesStore(database.db);
  const deps = { store, scheduleRequestTopics: [FollowUpRequestedV2.name] };
  afterAll(() => database.close());

  const followUp = () =>
    newEvent(FollowUpRequestedV2, {
      userId: randomUUID(),
      dueAt: '2030-01-01T00:00:00.000Z',
    });

  it('schedules a valid event for a Herald topic and cancels it by key', async () => {
    const scheduleKey = uniqueName('request');
    const value = followUp();
    const request = newEvent(ScheduleRequested, {
      scheduleKey,
      topic: FollowUpRequestedV2.name,
      key: value.data.userId,
      dueAt: '2030-01-01T00:00:00.000Z',
      value,
    });
    const result = await onScheduleRequested(
      request,
      deps,
      { traceparent: TRACEPARENT, other: 'dropped' },
    );
    expect(result).toMatchObject({ replaced: false, dueAt: new Date('2030-01-01T00:00:00.000Z') });
    expect((await store.history(scheduleKey))[0]).toMatchObject({
      state: 'pending',
      value,
      headers: { traceparent: TRACEPARENT },
    });
    expect(
      await onScheduleCancelRequested(newEvent(ScheduleCancelRequested, { scheduleKey }), {
        store,
      }),
    ).toBe(1);
  });

  it('refuses topics the deployment does not allow and values that break the target contract', async () => {
    const scheduleKey = uniqueName('request');
    const foreign = newEvent(ScheduleRequested, {
      scheduleKey,
      topic: 'somebody.else.v1',
      key: 'k',
      dueAt: '2030-01-01T00:00:00.000Z',
      value: {},
    });
    await expect(onScheduleRequested(foreign, deps)).rejects.toThrow(ContractViolationError);
    // A Herald topic, but not schedulable: an alert would go around the api's admin check.
    const alert = newEvent(ScheduleRequested, {
      scheduleKey,
      topic: AlertRaised.name,
      key: 'k',
      dueAt: '2030-01-01T00:00:00.000Z',
      value: newEvent(AlertRaised, { alertId: randomUUID(), severity: 'critical', message: 'raised around the api', raisedAt: new Date().toISOString() }),
    });
    await expect(onScheduleRequested(alert, deps)).rejects.toThrow(/may not be scheduled here/);
    // Allowed by the contracts, but this deployment narrowed the list to nothing.
    const request = newEvent(ScheduleRequested, {
      scheduleKey,
      topic: FollowUpRequestedV2.name,
      key: 'k',
      dueAt: '2030-01-01T00:00:00.000Z',
      value: followUp(),
    });
    await expect(onScheduleRequested(request, { store, scheduleRequestTopics: [] })).rejects.toThrow(/may not be scheduled here/);
    const broken = newEvent(ScheduleRequested, {
      scheduleKey,
      topic: FollowUpRequestedV2.name,
      key: 'k',
      dueAt: '2030-01-01T00:00:00.000Z',
      value: { ...followUp(), data: {} },
    });
    await expect(onScheduleRequested(broken, deps)).rejects.toThrow(
      /does not match its schema/,
    );
    expect(await store.history(scheduleKey)).toEqual([]);
  });
});
