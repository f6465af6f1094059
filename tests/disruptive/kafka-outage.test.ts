import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { decodeEvent, UserCreatedV2 } from '@herald/contracts';
import { createKafka } from '@herald/kafka';
import { infrastructure, startService, uniqueName, waitFor, runStack, type RunningService } from '@herald/testing';

// Durability: with Kafka stopped the api still answers 201, and the event reaches Kafka once it
// is back. Stops the shared Kafka, so it runs alone (tests/jest.disruptive.config.js), and only
// against the native stack, whose Kafka the stack tool can stop and start.


const native = (process.env.HERALD_INFRA ?? 'native') === 'native';
let api: RunningService;
const pool = new Pool({ connectionString: infrastructure().databaseUrl });

beforeAll(async () => {
  api = await startService('api');
});

afterAll(async () => {
  runStack('start', 'kafka');
  await api?.stop();
  await pool.end();
});

(native ? it : it.skip)('signs up while Kafka is down and publishes once it is back', async () => {
  runStack('stop', 'kafka');
  const id = randomUUID().slice(0, 8);
  const started = Date.now();
  const response = await fetch(`${api.url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${api.env.ADMIN_TOKEN ?? ''}` },
    body: JSON.stringify({ email: `outage-${id}@example.com`, username: `outage${id}`, full_name: 'Kafka Down' }),
  });
  expect(response.status).toBe(201);
  expect(Date.now() - started).toBeLessThan(3000);
  const user = (await response.json()) as { id: string };
  const { rows } = await pool.query<{ published_at: Date | null }>('select published_at from outbox where key = $1', [user.id]);
  expect(rows).toEqual([{ published_at: null }]);

  runStack('start', 'kafka');
  const consumer = createKafka({ clientId: 'outage-test', brokers: infrastructure().kafkaBrokers }).consumer({
    groupId: uniqueName('outage-reader'),
  });
  const seen: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: UserCreatedV2.name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (String(message.key) !== user.id) return;
        seen.push(decodeEvent(UserCreatedV2, message.value).data.userId);
      },
    });
    await waitFor(() => seen.length > 0, { timeoutMs: 90_000, description: 'the UserCreated event after Kafka is back' });
    expect(seen).toEqual([user.id]);
    const after = await pool.query<{ published_at: Date | null }>('select published_at from outbox where key = $1', [user.id]);
    expect(after.rows[0]?.published_at).toBeInstanceOf(Date);
  } finally {
    await consumer.disconnect();
  }
});
