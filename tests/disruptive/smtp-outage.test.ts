import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { decodeEvent, NotificationStatusV2, UserCreatedV2, type EventOf } from '@herald/contracts';
import { DeadLetters } from '@herald/consumer';
import { openDatabase } from '@herald/db';
import { createKafka, publishEvents } from '@herald/kafka';
import { aSignup, emailsTo, infrastructure, runFromEnd, startService, uniqueName, waitFor, runStack } from '@herald/testing';

// SMTP down (Mailpit stopped): the welcome email is attempted at the policy's intervals, lands in
// the email dead-letter topic after maximumAttempts; with Mailpit back, a redrive delivers it
// once. Stops the shared Mailpit, so it runs alone (tests/jest.disruptive.config.js).
const native = (process.env.HERALD_INFRA ?? 'native') === 'native';


/** Delays the policy asks for between attempts 1→2 and 2→3, and how late they may be. */
const EXPECTED_GAPS_MS = [1000, 2000];
const TOLERANCE_MS = 1000;

(native ? it : it.skip)('retries at the policy intervals, dead-letters, and a redrive delivers once', async () => {
  const group = uniqueName('smtp-outage');
  const kafka = createKafka({ clientId: group, brokers: infrastructure().kafkaBrokers });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const statusReader = kafka.consumer({ groupId: uniqueName('status-reader') });
  const database = openDatabase(infrastructure().databaseUrl, { max: 2 });
  const email = await startService('email', {
    CONSUMER_GROUP: group,
    RETRY_POLICY: JSON.stringify({ maximumAttempts: 3, initialInterval: 'PT1S', backoffCoefficient: 2, jitter: 0 }),
  });
  const userId = randomUUID();
  const statuses: EventOf<typeof NotificationStatusV2>[] = [];
  try {
    await Promise.all([producer.connect(), statusReader.connect()]);
    await runFromEnd(kafka, statusReader, NotificationStatusV2.name, {
      eachMessage: async ({ message }) => {
        if (String(message.key) === userId) statuses.push(decodeEvent(NotificationStatusV2, message.value));
      },
    });
    runStack('stop', 'mailpit');
    const user = await aSignup((query, values) => database.pool.query(query, values), { userId, fullName: 'Smtp Down' });
    await publishEvents(producer, UserCreatedV2, [{ key: userId, event: user.event }]);

    const failures = await waitFor(() => {
      const found = statuses.filter((s) => s.data.status === 'retrying' || s.data.status === 'dead-lettered');
      return found.length >= 3 && found;
    }, { timeoutMs: 60_000, description: 'three failed attempts' });
    expect(failures.map((s) => [s.data.attempt, s.data.status])).toEqual([
      [1, 'retrying'],
      [2, 'retrying'],
      [3, 'dead-lettered'],
    ]);
    expect(failures[0]?.data.errorCode).toBe('SMTP_UNAVAILABLE');
    const times = failures.map((s) => Date.parse(s.data.at));
    EXPECTED_GAPS_MS.forEach((expected, i) => {
      const gap = times[i + 1]! - times[i]!;
      expect(gap).toBeGreaterThanOrEqual(expected);
      expect(gap).toBeLessThan(expected + TOLERANCE_MS);
    });

    runStack('start', 'mailpit');
    const dlq = `${group}.user.created.v2.dlq`;
    const letters = new DeadLetters(kafka, database);
    const [letter] = (await letters.list(dlq)).filter((l) => l.key === userId);
    expect(letter?.attempts).toBe(3);
    expect(await letters.redrive(dlq, [letter!.id])).toEqual({ redriven: [letter!.id], refused: [] });
    await waitFor(async () => (await emailsTo(user.email)).length > 0, { timeoutMs: 30_000, description: 'the redriven email' });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await emailsTo(user.email)).map((m) => m.Subject)).toEqual(['Welcome Smtp Down!']);
  } finally {
    runStack('start', 'mailpit');
    await email.stop();
    await Promise.all([producer.disconnect(), statusReader.disconnect()]);
    await database.close();
  }
});
