import { randomUUID } from 'node:crypto';
import { inArray } from 'drizzle-orm';
import type { Consumer } from 'kafkajs';
import { decodeEvent, UserCreatedV2 } from '@herald/contracts';
import { openDatabase, outbox } from '@herald/db';
import { createKafka } from '@herald/kafka';
import { createLogger } from '@herald/service-kit';
import { aUserCreated, infrastructure, runFromEnd, uniqueName, waitFor } from '@herald/testing';
import { appendToOutbox } from './outbox.repository';
import { OutboxRelay } from './outbox.relay';

// Integration: the real PostgreSQL and Kafka. The relay publishes every unpublished row it finds
// (other tests' too, all valid events); assertions look only at this test's own keys.
describe('OutboxRelay', () => {
  const infra = infrastructure();
  const database = openDatabase(infra.databaseUrl);
  const logger = createLogger('api-test', 'silent');
  const kafka = createKafka({ clientId: 'api-relay-test', brokers: infra.kafkaBrokers, log: () => undefined });
  const received: { key: string; eventId: string }[] = [];
  const keys = new Set<string>();
  let consumer: Consumer;
  const relays: OutboxRelay[] = [];
  const relay = (options: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}) => {
    const created = new OutboxRelay({ database, kafka, logger, batchSize: 50, ...options });
    relays.push(created);
    return created;
  };

  beforeAll(async () => {
    consumer = kafka.consumer({ groupId: uniqueName('api-relay-test') });
    await consumer.connect();
    await runFromEnd(kafka, consumer, UserCreatedV2.name, {
      // Other tests write to this topic too, not always valid events: never throw here.
      eachMessage: async ({ message }) => {
        const key = String(message.key);
        if (!keys.has(key)) return;
        received.push({ key, eventId: decodeEvent(UserCreatedV2, message.value).id });
      },
    });
  });
  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await consumer.disconnect();
    await database.close();
  });

  /**
   * Writes one UserCreatedV2 outbox row per key, each in its own transaction, in order, calling
   * `committed` after each commit.
   */
  async function write(userIds: string[], committed: () => void = () => undefined): Promise<{ id: bigint; eventId: string; key: string }[]> {
    const rows = [];
    for (const key of userIds) {
      keys.add(key);
      const event = aUserCreated({ userId: key });
      await database.db.transaction((tx) => appendToOutbox(tx, UserCreatedV2, key, event));
      committed();
      rows.push({ eventId: event.id, key });
    }
    const stored = await database.db
      .select({ id: outbox.id, eventId: outbox.eventId, key: outbox.key })
      .from(outbox)
      .where(inArray(outbox.eventId, rows.map((r) => r.eventId)))
      .orderBy(outbox.id);
    expect(stored.map((r) => r.eventId)).toEqual(rows.map((r) => r.eventId));
    return stored;
  }

  const unpublished = async (eventIds: string[]) =>
    (await database.db.select().from(outbox).where(inArray(outbox.eventId, eventIds))).filter((r) => r.publishedAt === null)
      .length;
  const receivedFor = (key: string) => received.filter((r) => r.key === key).map((r) => r.eventId);

  it('publishes rows when woken, keyed, in id order per key, and marks them published', async () => {
    // The poll is an hour away: only the wake after each write, as the api gives it, is in time.
    const running = relay({ pollIntervalMs: 3_600_000 });
    running.start();
    // Stopped however the test ends: a relay left running would publish the next tests' rows.
    try {
      await waitFor(async () => (await running.backlog()) === 0, { timeoutMs: 60_000, description: 'the backlog to drain' });
      const [a, b] = [randomUUID(), randomUUID()];
      const rows = await write([a, b, a, b, a, a], () => running.wake());
      const ids = rows.map((r) => r.eventId);
      await waitFor(async () => (await unpublished(ids)) === 0, { timeoutMs: 20_000, description: 'rows marked published' });
      await waitFor(() => receivedFor(a).length === 4 && receivedFor(b).length === 2, {
        timeoutMs: 30_000,
        description: 'the events to arrive',
      });
      expect(receivedFor(a)).toEqual(rows.filter((r) => r.key === a).map((r) => r.eventId));
      expect(receivedFor(b)).toEqual(rows.filter((r) => r.key === b).map((r) => r.eventId));
    } finally {
      await running.stop();
    }
  });

  it('publishes on its poll the rows nobody woke it for (another replica stopped after its commit)', async () => {
    const running = relay({ pollIntervalMs: 200 });
    running.start();
    try {
      await waitFor(async () => (await running.backlog()) === 0, { timeoutMs: 60_000, description: 'the backlog to drain' });
      // Let the round the start asked for end, so that only the poll can find the row.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const rows = await write([randomUUID()]);
      await waitFor(async () => (await unpublished(rows.map((r) => r.eventId))) === 0, {
        timeoutMs: 20_000,
        description: 'the row published',
      });
    } finally {
      await running.stop();
    }
  });

  it('holds back a key whose earlier row another replica has claimed', async () => {
    const [k, other] = [randomUUID(), randomUUID()];
    const [k1, k2, o1] = await write([k, k, other]);
    // Another replica in the middle of publishing k1.
    const replica = await database.pool.connect();
    try {
      await replica.query('begin');
      await replica.query('select id from outbox where id = $1 for update', [String(k1!.id)]);
      const relayB = relay();
      while ((await relayB.publishBatch()) > 0);
      expect(await unpublished([o1!.eventId])).toBe(0);
      expect(await unpublished([k1!.eventId, k2!.eventId])).toBe(2);
      await replica.query('rollback');
      while ((await relayB.publishBatch()) > 0);
      expect(await unpublished([k1!.eventId, k2!.eventId])).toBe(0);
    } finally {
      replica.release();
    }
    await waitFor(() => receivedFor(k).length === 2, { timeoutMs: 30_000, description: 'both events of k' });
    expect(receivedFor(k)).toEqual([k1!.eventId, k2!.eventId]);
  });

  it('keeps rows while Kafka is unreachable, without throwing; a relay that reaches Kafka publishes them', async () => {
    const unreachable = createKafka({
      clientId: 'api-relay-test-unreachable',
      brokers: ['127.0.0.1:1'],
      log: () => undefined,
      overrides: { retry: { retries: 0 } },
    });
    const failing = relay({ kafka: unreachable, maxBackoffMs: 200 });
    const key = randomUUID();
    const rows = await write([key, key]);
    const ids = rows.map((r) => r.eventId);
    failing.start();
    await waitFor(() => failing.consecutiveFailures >= 3, { timeoutMs: 20_000, description: 'failed rounds' });
    expect(await unpublished(ids)).toBe(2);
    await expect(failing.stop()).resolves.toBeUndefined();

    const working = relay();
    working.start();
    await waitFor(async () => (await unpublished(ids)) === 0, { timeoutMs: 30_000, description: 'rows published' });
    await waitFor(() => receivedFor(key).length === 2, { timeoutMs: 30_000, description: 'the events to arrive' });
    expect(receivedFor(key)).toEqual(ids);
    expect(working.consecutiveFailures).toBe(0);
  });
});
