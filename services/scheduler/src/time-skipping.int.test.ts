import { randomUUID } from 'node:crypto';
import { decodeEvent, EmailSentV2, FollowUpRequestedV2, newEvent, type EventOf } from '@herald/contracts';
import { openDatabase, users } from '@herald/db';
import { createKafka, RenewingProducer } from '@herald/kafka';
import { infrastructure, runFromEnd, uniqueName, waitFor } from '@herald/testing';
import { ManualClock } from './clock';
import { createDispatchProducer } from './dispatch.publishing';
import { Dispatcher } from './dispatcher';
import { readEnv } from './env';
import { followUpKey, onEmailSent } from './follow-ups';
import { ScheduledMessagesStore } from './scheduled-messages.store';

// Temporal's time-skipping test, here: with the default FOLLOW_UP_DELAY (P3D), a welcome email
// schedules the follow-up and the scheduler's clock is advanced three days; the FollowUpRequestedV2
// event reaches Kafka at once, not three days later. Real PostgreSQL and Kafka.
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

it('a welcome email schedules the follow-up three days out, emitted as soon as the clock skips there', async () => {
  const { FOLLOW_UP_DELAY_MS } = readEnv({ DATABASE_URL: infrastructure().databaseUrl });
  expect(FOLLOW_UP_DELAY_MS).toBe(3 * 86_400_000);
  const database = openDatabase(infrastructure().databaseUrl, { max: 4 });
  const kafka = createKafka({ clientId: 'time-skipping-test', brokers: infrastructure().kafkaBrokers });
  const producer = new RenewingProducer(() => createDispatchProducer(kafka));
  const consumer = kafka.consumer({ groupId: uniqueName('time-skipping') });
  const clock = new ManualClock();
  const userId = randomUUID();
  const store = new ScheduledMessagesStore(database.db, { clock });
  const dispatcher = new Dispatcher({
    store,
    producer,
    logger: silent,
    clock,
    maxIdleMs: 3_600_000,
    filter: { scheduleKeyPrefix: followUpKey(userId) },
  });
  const received: EventOf<typeof FollowUpRequestedV2>[] = [];
  try {
    await database.db.insert(users).values({
      id: userId,
      email: `${userId}@example.com`,
      username: `t${userId.slice(0, 8)}`,
      fullName: 'Mary Jackson',
    });
    await Promise.all([producer.connect(), consumer.connect()]);
    await runFromEnd(kafka, consumer, FollowUpRequestedV2.name, {
      eachMessage: async ({ message }) => {
        if (String(message.key) === userId) received.push(decodeEvent(FollowUpRequestedV2, message.value));
      },
    });
    const sentAt = clock.now();
    const welcome = newEvent(EmailSentV2, {
      subjectId: userId,
      template: 'welcome',
      messageId: `<${randomUUID()}@herald.local>`,
      sentAt: sentAt.toISOString(),
    });
    const result = await onEmailSent(welcome, { store, followUpDelayMs: FOLLOW_UP_DELAY_MS });
    expect(result).toMatchObject({ outcome: 'scheduled', dueAt: new Date(sentAt.getTime() + FOLLOW_UP_DELAY_MS) });

    await dispatcher.start();
    await waitFor(() => dispatcher.phase === 'sleeping', { description: 'the dispatcher to sleep' });
    clock.advance(FOLLOW_UP_DELAY_MS - 1000);
    await waitFor(() => dispatcher.phase === 'sleeping', { description: 'the dispatcher to sleep again' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received).toEqual([]);

    clock.advance(1000);
    const [followUp] = await waitFor(() => received.length > 0 && received, {
      timeoutMs: 15_000,
      description: 'the FollowUpRequestedV2 event',
    });
    expect(followUp?.data).toEqual({
      userId,
      dueAt: new Date(sentAt.getTime() + FOLLOW_UP_DELAY_MS).toISOString(),
    });
    expect(followUp?.correlationId).toBe(welcome.correlationId);
  } finally {
    await dispatcher.stop();
    await Promise.all([consumer.disconnect(), producer.disconnect()]);
    await database.close();
  }
});
