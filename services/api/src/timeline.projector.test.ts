import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { EmailSentV2, FollowUpRequestedV2, Headers, newEvent, NotificationStatusV2, SlackMessageSent } from '@herald/contracts';
import { notificationTimeline, openDatabase } from '@herald/db';
import { createKafka, publishEvents } from '@herald/kafka';
import { createLogger } from '@herald/service-kit';
import { infrastructure, uniqueName, waitFor } from '@herald/testing';
import { listTimeline } from './timeline.repository';
import { TimelineProjector } from './timeline.projector';

// Integration: the real Kafka and PostgreSQL, on the timeline's topics with a group of its own.
describe('TimelineProjector', () => {
  const infra = infrastructure();
  const database = openDatabase(infra.databaseUrl);
  const kafka = createKafka({ clientId: 'api-projector-test', brokers: infra.kafkaBrokers, log: () => undefined });
  const producer = kafka.producer();
  const projector = new TimelineProjector({
    kafka,
    db: database.db,
    logger: createLogger('api-test', 'silent'),
    groupId: uniqueName('api-timeline-test'),
    // From the end: the topic's history (every test's statuses) is not this test's business.
    start: 'latest',
  });

  beforeAll(async () => {
    await producer.connect();
    projector.start();
    await waitFor(() => projector.isJoined(), { timeoutMs: 30_000, description: 'the projector to join its group' });
  });
  afterAll(async () => {
    await projector.stop();
    await producer.disconnect();
    await database.close();
  });

  const status = (subjectId: string, notification = 'welcome') =>
    newEvent(NotificationStatusV2, {
      subjectId,
      channel: 'email',
      notification,
      status: 'retrying',
      attempt: 1,
      at: new Date().toISOString(),
    });
  const publish = (events: ReturnType<typeof status>[]) =>
    publishEvents(producer, NotificationStatusV2, events.map((event) => ({ key: event.data.subjectId, event })));
  const timelineHas = (subjectId: string, eventId: string) => async () =>
    (await listTimeline(database.db, subjectId)).some((e) => e.eventId === eventId);

  it('records a published status', async () => {
    const subject = randomUUID();
    const event = status(subject);
    await publish([event]);
    await waitFor(timelineHas(subject, event.id), { timeoutMs: 45_000, description: 'the timeline row' });
    const [entry] = await listTimeline(database.db, subject);
    expect(entry).toMatchObject({ eventId: event.id, channel: 'email', status: 'retrying', correlationId: event.correlationId });
  });

  it('records each delivery event as its sent step, with the attempt and the trace its headers carry', async () => {
    const subject = randomUUID();
    const traceId = 'b'.repeat(32);
    const sentAt = '2026-12-04T10:00:00.000Z';
    const email = newEvent(EmailSentV2, { subjectId: subject, template: 'welcome', messageId: '<m-1@herald.local>', sentAt });
    const slack = newEvent(SlackMessageSent, { subjectId: subject, channel: 'signups', sentAt });
    const headers = { [Headers.attempt]: '2', traceparent: `00-${traceId}-${'c'.repeat(16)}-01` };
    await producer.send({ topic: EmailSentV2.name, messages: [{ key: subject, value: JSON.stringify(email), headers }] });
    // No headers of its own: attempt 1, no trace.
    await producer.send({ topic: SlackMessageSent.name, messages: [{ key: subject, value: JSON.stringify(slack) }] });
    await waitFor(async () => (await timelineHas(subject, email.id)()) && (await timelineHas(subject, slack.id)()), {
      timeoutMs: 45_000,
      description: 'both sent rows',
    });
    const entries = await listTimeline(database.db, subject);
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          eventId: email.id,
          channel: 'email',
          notification: 'welcome',
          status: 'sent',
          attempt: 2,
          detail: 'welcome email accepted by SMTP as <m-1@herald.local>',
          traceId,
          occurredAt: new Date(sentAt),
        }),
        expect.objectContaining({ eventId: slack.id, channel: 'slack', notification: 'signup-announcement', status: 'sent', attempt: 1, traceId: null }),
      ]),
    );
    expect(entries).toHaveLength(2);
  });

  it('records a redelivered status once', async () => {
    const subject = randomUUID();
    const event = status(subject);
    const marker = status(subject, 'follow-up');
    await publish([event, event]);
    await publish([event, marker]);
    await waitFor(timelineHas(subject, marker.id), { timeoutMs: 30_000, description: 'the marker row' });
    const rows = await database.db.select().from(notificationTimeline).where(eq(notificationTimeline.eventId, event.id));
    expect(rows).toHaveLength(1);
  });

  const followUp = (userId: string) =>
    // A user nobody wrote: the email service of a running stack finds no one and sends nothing.
    newEvent(FollowUpRequestedV2, { userId, dueAt: new Date().toISOString() });

  it('records a published follow-up as its due step, at the time it was published, once', async () => {
    const subject = randomUUID();
    const event = followUp(subject);
    const publishedAt = Date.now() - 5000;
    const message = { key: subject, value: JSON.stringify(event), timestamp: String(publishedAt) };
    // Published twice, as a dispatcher that crashed before its commit would.
    await producer.send({ topic: FollowUpRequestedV2.name, messages: [message, message] });
    const marker = status(subject);
    await publish([marker]);
    await waitFor(async () => (await timelineHas(subject, event.id)()) && (await timelineHas(subject, marker.id)()), {
      timeoutMs: 45_000,
      description: 'the due row and the marker',
    });
    const entries = await listTimeline(database.db, subject);
    expect(entries.filter((e) => e.eventId === event.id)).toEqual([
      expect.objectContaining({
        channel: 'scheduler',
        notification: 'follow-up',
        status: 'due',
        attempt: 0,
        correlationId: event.correlationId,
        occurredAt: new Date(publishedAt),
      }),
    ]);
  });

  /**
   * Sends `invalid` values and then a valid event on one key (so one partition, in that order) of
   * `topic`, and expects the valid one recorded, alone: the invalid ones skipped, not blocking.
   */
  const expectSkippedWithoutBlocking = async (
    topic: string,
    subject: string,
    invalid: (string | null)[],
    valid: { id: string },
  ): Promise<void> => {
    await producer.send({
      topic,
      messages: [...invalid, JSON.stringify(valid)].map((value) => ({ key: subject, value })),
    });
    await waitFor(timelineHas(subject, valid.id), { timeoutMs: 30_000, description: 'the valid row after the garbage' });
    expect(await listTimeline(database.db, subject)).toHaveLength(1);
  };

  it('skips a follow-up that breaks its contract without blocking the partition', async () => {
    const subject = randomUUID();
    const broken = JSON.stringify({ ...followUp(subject), data: { userId: subject } });
    await expectSkippedWithoutBlocking(FollowUpRequestedV2.name, subject, ['garbage', broken], followUp(subject));
  });

  it('skips invalid messages without blocking the partition', async () => {
    const subject = randomUUID();
    const broken = JSON.stringify({ ...status(subject), data: { subjectId: subject } });
    await expectSkippedWithoutBlocking(NotificationStatusV2.name, subject, ['garbage', null, broken], status(subject));
  });
});

// Apart from the tests above, so that no other projector writes the rows this one is timed on.
describe('TimelineProjector batching', () => {
  const infra = infrastructure();
  const database = openDatabase(infra.databaseUrl);
  const kafka = createKafka({ clientId: 'api-projector-batching-test', brokers: infra.kafkaBrokers, log: () => undefined });
  const producer = kafka.producer();
  beforeAll(async () => producer.connect());
  afterAll(async () => {
    await producer.disconnect();
    await database.close();
  });

  it('records the batches of every partition a fetch returned in one insert', async () => {
    // A projector on a database whose pool counts the statements it runs.
    let statements = 0;
    const pool = new Proxy(database.pool, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
        return (...args: Parameters<typeof target.query>) => {
          statements += 1;
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      },
    });
    const counted = new Proxy(database.db, {
      get: (target, property, receiver) => (property === '$client' ? pool : (Reflect.get(target, property, receiver) as unknown)),
    });
    const projector = new TimelineProjector({
      kafka,
      db: counted,
      logger: createLogger('api-test', 'silent'),
      groupId: uniqueName('api-timeline-batching-test'),
      start: 'latest',
      // Statuses only: follow-ups other test files publish meanwhile would add inserts of their own.
      topics: [NotificationStatusV2],
    });
    projector.start();
    try {
      await waitFor(() => projector.isJoined(), { timeoutMs: 30_000, description: 'the projector to join' });
      // 60 subjects: keys on every partition of the topic (one is left out once in 50,000 runs).
      const events = Array.from({ length: 60 }, (_, i) =>
        newEvent(NotificationStatusV2, {
          subjectId: randomUUID(),
          channel: 'email',
          notification: 'welcome',
          status: 'retrying',
          attempt: 1,
          detail: `status ${i}`,
          at: new Date().toISOString(),
        }),
      );
      await publishEvents(producer, NotificationStatusV2, events.map((event) => ({ key: event.data.subjectId, event })));
      const ids = events.map((e) => e.id);
      const recorded = async () =>
        (await database.db.select({ id: notificationTimeline.eventId }).from(notificationTimeline).where(inArray(notificationTimeline.eventId, ids))).length;
      await waitFor(async () => (await recorded()) === events.length, { timeoutMs: 30_000, description: 'all 60 rows' });
      // One insert for the fetch; two if a fetch happened to end while the send was being written.
      // A statement a partition would be six.
      expect(statements).toBeGreaterThanOrEqual(1);
      expect(statements).toBeLessThanOrEqual(2);
    } finally {
      await projector.stop();
    }
  });
});
