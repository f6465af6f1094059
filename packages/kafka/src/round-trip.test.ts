import { Partitioners } from 'kafkajs';
import { decodeEvent, Headers, newEvent, UserCreated, type EventOf } from '@herald/contracts';
import { infrastructure, uniqueName, waitFor } from '@herald/testing';
import { createKafka } from './client';
import { ensureTopics } from './topics-admin';
import { publishEvents } from './publish';

// Integration: a UserCreated event through the real broker, on a topic of its own.
describe('UserCreated round trip through Kafka', () => {
  const kafka = createKafka({ clientId: 'round-trip-test', brokers: infrastructure().kafkaBrokers });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: uniqueName('round-trip') });
  const topic = { ...UserCreated, name: uniqueName('test.user.created.v1'), partitions: 3 };

  beforeAll(async () => {
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
  });
  afterAll(async () => {
    await Promise.all([consumer.disconnect(), producer.disconnect()]);
    await admin.deleteTopics({ topics: [topic.name] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates the topic with its partition count, and is idempotent', async () => {
    expect(await ensureTopics(admin, [topic])).toEqual([
      { name: topic.name, partitions: 3, action: 'created' },
    ]);
    expect(await ensureTopics(admin, [topic])).toEqual([
      { name: topic.name, partitions: 3, action: 'exists' },
    ]);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic.name] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });

  it('delivers the event keyed by user, with its headers, and it validates on the way in', async () => {
    const userId = '3f0c7a52-8a4e-4c8e-9d43-0c5b7f1f2a11';
    const event = newEvent(UserCreated, {
      userId,
      email: 'ada@example.com',
      username: 'ada',
      fullName: 'Ada Lovelace',
      createdAt: new Date().toISOString(),
    });
    const received: { key: string; event: EventOf<typeof UserCreated>; headers: Record<string, string> }[] = [];
    await consumer.subscribe({ topic: topic.name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        );
        received.push({ key: String(message.key), event: decodeEvent(topic, message.value), headers });
      },
    });
    await publishEvents(producer, topic, [{ key: userId, event }]);

    const [got] = await waitFor(() => received.length > 0 && received, {
      timeoutMs: 30_000,
      description: 'the UserCreated event to come back',
    });
    expect(got?.key).toBe(userId);
    expect(got?.event).toEqual(event);
    expect(got?.headers[Headers.eventId]).toBe(event.id);
    expect(got?.headers[Headers.eventType]).toBe('UserCreated/1');
  });
});
