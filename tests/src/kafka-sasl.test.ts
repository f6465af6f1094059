import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { KafkaJSSASLAuthenticationError, type Kafka, type SASLOptions } from 'kafkajs';
import { createKafka } from '@herald/kafka';
import { infrastructure, runStack, startService, uniqueName, waitFor } from '@herald/testing';

// System: the KAFKA_SASL_* settings against a broker that refuses clients without SCRAM
// credentials: the stack's `kafka-sasl`, started here once and then left running like the rest of
// the test infrastructure (`npm run stack -- stop kafka-sasl` stops it).
const ROOT = path.resolve(__dirname, '../..');
const { brokers, username, password } = infrastructure().saslKafka;

function scramClient(clientId: string, mechanism: 'scram-sha-256' | 'scram-sha-512', secret = password): Kafka {
  const sasl: SASLOptions = { mechanism, username, password: secret };
  return createKafka({ clientId, brokers, security: { sasl }, log: () => undefined });
}

beforeAll(() => {
  if (!password) throw new Error('SASL_KAFKA_PASSWORD is not set: run the tests with npm test, which exports it');
  runStack('up', 'kafka-sasl');
}, 120_000);

describe('a Kafka client with the SCRAM user of the broker', () => {
  it('produces a record and consumes it', async () => {
    const topic = uniqueName('sasl-round-trip');
    const kafka = scramClient(topic, 'scram-sha-512');
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: topic });
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await producer.send({ topic, messages: [{ key: 'k', value: 'signed in' }] });
      const received: string[] = [];
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void received.push(message.value?.toString() ?? '') });
      await waitFor(() => received.length > 0, { timeoutMs: 30_000, description: 'the record to come back' });
      expect(received).toEqual(['signed in']);
    } finally {
      await Promise.all([consumer.disconnect(), producer.disconnect()]);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('is refused with a wrong password, and the error does not quote it', async () => {
    const wrong = `${password}-wrong`;
    const admin = scramClient(uniqueName('sasl-wrong'), 'scram-sha-256', wrong).admin();
    const error = await admin.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    await admin.disconnect();
    expect(error).toBeInstanceOf(KafkaJSSASLAuthenticationError);
    expect((error as Error).message).toMatch(/authentication failed.*invalid credentials/i);
    expect((error as Error).message).not.toContain(wrong);
  });
});

describe('a Herald service given the SCRAM user in its environment', () => {
  const env = {
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  };
  const group = uniqueName('test-email-sasl');

  afterAll(async () => {
    // The group's retry and dead-letter topics: the global teardown cleans the other broker only.
    const admin = scramClient(group, 'scram-sha-256').admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter((name) => name.startsWith(`${group}.`));
    await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates the topics with `npm run topics`, then becomes ready and never prints the password', async () => {
    const topics = spawnSync(process.execPath, [path.join(ROOT, 'packages/kafka/dist/create-topics.js')], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(topics.stderr).toBe('');
    expect(topics.status).toBe(0);
    expect(topics.stdout).toContain('user.created.v1');

    const service = await startService('email', { ...env, CONSUMER_GROUP: group });
    try {
      const ready = await fetch(`${service.url}/readyz`);
      expect(await ready.json()).toMatchObject({ status: 'ok', checks: { kafka: 'ok', consumer: 'ok' } });
    } finally {
      await service.stop();
    }
    expect(service.output()).not.toContain(password);
  });

  it('refuses to start with a mechanism but no password, in one line naming the variable', async () => {
    const service = await startService('email', { ...env, KAFKA_SASL_PASSWORD: '' }, { waitReady: false });
    expect(await service.exited).toBe(1);
    expect(service.output().trim()).toBe(
      'email: cannot start: invalid configuration: KAFKA_SASL_PASSWORD is not set: KAFKA_SASL_MECHANISM=scram-sha-256 needs it',
    );
  });
});
