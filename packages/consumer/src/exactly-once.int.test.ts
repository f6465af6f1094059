import { randomUUID } from 'node:crypto';
import type { Consumer, Producer } from 'kafkajs';
import pino from 'pino';
import { newEvent, SlackMessageSent, UserCreatedV2, type EventOf } from '@herald/contracts';
import { openDatabase, type DatabaseHandle } from '@herald/db';
import { createKafka, HeraldPartitioner, toMessage } from '@herald/kafka';
import { aUserCreated, infrastructure, NetworkCut, runFromEnd, uniqueName, waitFor } from '@herald/testing';
import { ConsumerRunner } from './consumer.runner';
import type { HandlerContext } from './handler';
import { DEFAULT_RETRY_POLICY } from './policy';

// Integration: a handler that succeeded never runs again for its event and group, whatever fails
// after it. Kafka and PostgreSQL are the real ones; a NetworkCut takes them away from the runner
// under test alone (its Kafka client's sockets, a TCP proxy in front of PostgreSQL), so the
// tests around it keep both.
const infra = infrastructure();
const database = openDatabase(infra.databaseUrl);
const kafka = createKafka({ clientId: 'exactly-once-test', brokers: infra.kafkaBrokers, log: () => undefined });
const logger = pino({ level: 'silent' });
let producer: Producer;
let watcher: Consumer;
/** The SlackMessageSent events published since the tests began, by causation (the UserCreatedV2). */
const published = new Map<string, string[]>();
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  producer = kafka.producer({ createPartitioner: HeraldPartitioner });
  await producer.connect();
  watcher = kafka.consumer({ groupId: uniqueName('exactly-once-watch') });
  await watcher.connect();
  await runFromEnd(kafka, watcher, SlackMessageSent.name, {
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value?.toString() ?? '{}') as { id: string; causationId?: string };
      if (event.causationId) published.set(event.causationId, [...(published.get(event.causationId) ?? []), event.id]);
    },
  });
}, 60_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await Promise.all([producer.disconnect(), watcher.disconnect()]);
  await database.close();
});

/** A runner whose Kafka and PostgreSQL connections go through switches of their own. */
async function startRunner(
  groupId: string,
  cuts: { kafka?: NetworkCut; postgres?: NetworkCut },
  handle: (ctx: HandlerContext<typeof UserCreatedV2>) => Promise<void>,
): Promise<ConsumerRunner> {
  const kafkaCut = cuts.kafka ?? new NetworkCut();
  const postgresCut = cuts.postgres ?? new NetworkCut();
  const url = new URL(infra.databaseUrl);
  const proxy = await postgresCut.proxy(url.hostname, Number(url.port || 5432));
  url.host = `127.0.0.1:${proxy.port}`;
  const db: DatabaseHandle = openDatabase(url.toString(), { connectionTimeoutMillis: 1000 });
  const client = createKafka({ clientId: groupId, brokers: infra.kafkaBrokers, log: () => undefined, overrides: { socketFactory: kafkaCut.kafkaSocketFactory } });
  const runner = new ConsumerRunner({ kafka: client, groupId, channel: 'slack', database: db, logger, start: 'latest' });
  runner.register({ topic: UserCreatedV2, name: `${groupId}:users`, policy: DEFAULT_RETRY_POLICY, handle });
  let stopped = false;
  cleanups.push(async () => {
    kafkaCut.restore();
    postgresCut.restore();
    // A consumer that kafkajs is restarting after a crash (its connections were cut) would start
    // again after stop(): let it rejoin first.
    if (!stopped) await waitFor(() => runner.isJoined(), { timeoutMs: 60_000, description: `${groupId} to rejoin before it stops` });
    if (!stopped) await runner.stop();
    await db.close();
    await proxy.close();
  });
  await runner.start();
  await waitFor(() => runner.isJoined(), { timeoutMs: 30_000, description: `${groupId} to join` });
  const stop = runner.stop.bind(runner);
  runner.stop = async () => {
    stopped = true;
    await stop();
  };
  return runner;
}

/** The event a handler emits for `event`: its side effect's announcement. */
function announcement(event: EventOf<typeof UserCreatedV2>): EventOf<typeof SlackMessageSent> {
  return newEvent(
    SlackMessageSent,
    { subjectId: event.data.userId, channel: 'signups', sentAt: new Date().toISOString() },
    { correlationId: event.correlationId, causationId: event.id },
  );
}

async function publish(event: EventOf<typeof UserCreatedV2>): Promise<void> {
  await producer.send({ topic: UserCreatedV2.name, acks: -1, messages: [toMessage(UserCreatedV2, event.data.userId, event)] });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function owedRows(groupId: string): Promise<number> {
  const { rows } = await database.pool.query<{ n: string }>('select count(*) as n from consumer_outbox where consumer_group = $1', [groupId]);
  return Number(rows[0]?.n);
}

it('runs a succeeded handler once when Kafka goes away before its events are published', async () => {
  const groupId = uniqueName('once-kafka');
  const cut = new NetworkCut();
  const event = aUserCreated();
  let sideEffects = 0;
  await startRunner(groupId, { kafka: cut }, async (ctx) => {
    if (ctx.event.id !== event.id) return;
    sideEffects += 1;
    ctx.emit(SlackMessageSent, event.data.userId, announcement(event));
    // The side effect happened; Kafka is gone before the runner can publish what it owes.
    cut.cut();
  });
  await publish(event);
  await waitFor(() => sideEffects === 1, { timeoutMs: 30_000, description: 'the handler to run' });
  // Longer than kafkajs retries a send by itself (about 10 s): the runner's own retry takes over.
  await pause(20_000);
  expect(published.get(event.id)).toBeUndefined();
  cut.restore();
  await waitFor(() => published.has(event.id), { timeoutMs: 60_000, description: 'the owed event once Kafka is back' });
  await pause(2000);
  expect(sideEffects).toBe(1);
  expect(published.get(event.id)).toHaveLength(1);
  await waitFor(async () => (await owedRows(groupId)) === 0, { timeoutMs: 10_000, description: 'the owed row to be deleted' });
}, 120_000);

it('runs a succeeded handler once when PostgreSQL goes away before its outcome is written', async () => {
  const groupId = uniqueName('once-postgres');
  const pgCut = new NetworkCut();
  const event = aUserCreated();
  let sideEffects = 0;
  const runner = await startRunner(groupId, { postgres: pgCut }, async (ctx) => {
    if (ctx.event.id !== event.id) return;
    sideEffects += 1;
    ctx.emit(SlackMessageSent, event.data.userId, announcement(event));
    pgCut.cut();
  });
  await publish(event);
  await waitFor(() => sideEffects === 1, { timeoutMs: 30_000, description: 'the handler to run' });
  await pause(6000);
  // Nothing is published before the outcome is durable.
  expect(published.get(event.id)).toBeUndefined();
  pgCut.restore();
  await waitFor(() => published.has(event.id), { timeoutMs: 60_000, description: 'the event once PostgreSQL is back' });
  await pause(2000);
  expect(sideEffects).toBe(1);
  expect(published.get(event.id)).toHaveLength(1);
  const { rows } = await database.pool.query('select outcome from processed_events where consumer_group = $1 and event_id = $2', [groupId, event.id]);
  expect(rows).toEqual([{ outcome: 'handled' }]);
  await runner.stop();
}, 120_000);

it('lets an attempt in progress finish on a graceful stop, and the next consumer does not repeat it', async () => {
  const groupId = uniqueName('once-stop');
  const event = aUserCreated();
  const calls: string[] = [];
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const handler = (name: string) => async (ctx: HandlerContext<typeof UserCreatedV2>) => {
    if (ctx.event.id !== event.id) return;
    calls.push(name);
    // A slow SMTP exchange that does not listen to the abort signal.
    await held;
    ctx.emit(SlackMessageSent, event.data.userId, announcement(event));
  };
  const first = await startRunner(groupId, {}, handler('first'));
  await publish(event);
  await waitFor(() => calls.length === 1, { timeoutMs: 30_000, description: 'the attempt to start' });
  const stopped = first.stop();
  await pause(1000);
  release();
  await stopped;
  await startRunner(groupId, {}, handler('second'));
  await waitFor(() => published.has(event.id), { timeoutMs: 30_000, description: 'the announcement' });
  await pause(3000);
  expect(calls).toEqual(['first']);
  expect(published.get(event.id)).toHaveLength(1);
}, 120_000);

it('publishes what a dead process left in consumer_outbox, without running its handler again', async () => {
  const groupId = uniqueName('once-left-over');
  const event = aUserCreated();
  const owed = announcement(event);
  // What a process killed between its settle write and its send leaves: the mark and the row.
  await database.pool.query(`insert into processed_events (consumer_group, event_id, outcome) values ($1, $2, 'handled')`, [groupId, event.id]);
  const message = toMessage(SlackMessageSent, event.data.userId, owed);
  await database.pool.query(`insert into consumer_outbox (id, consumer_group, event_id, messages) values ($1, $2, $3, $4)`, [
    randomUUID(),
    groupId,
    event.id,
    JSON.stringify([{ topic: SlackMessageSent.name, key: { text: message.key }, value: { base64: message.value.toString('base64') }, headers: message.headers }]),
  ]);
  const calls: string[] = [];
  await startRunner(groupId, {}, async (ctx) => {
    if (ctx.event.id === event.id) calls.push(ctx.event.id);
  });
  // Its source message again, as after a crash before the offset's commit.
  await publish(event);
  await waitFor(() => published.has(event.id), { timeoutMs: 30_000, description: 'the left-over event' });
  await pause(2000);
  expect(published.get(event.id)).toEqual([owed.id]);
  expect(calls).toEqual([]);
  expect(await owedRows(groupId)).toBe(0);
}, 120_000);
