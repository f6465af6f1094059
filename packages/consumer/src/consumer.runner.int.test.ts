import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Producer } from 'kafkajs';
import pino from 'pino';
import { RetryHeaders, UserCreatedV2, type EventOf } from '@herald/contracts';
import { openDatabase } from '@herald/db';
import { createKafka, HeraldPartitioner, partitionOfKey, toMessage } from '@herald/kafka';
import { registry } from '@herald/telemetry';
import { aUserCreated, infrastructure, uniqueName, waitFor } from '@herald/testing';
import { ConsumerRunner, type ConsumerRunnerOptions } from './consumer.runner';
import type { HandlerContext } from './handler';
import { DEFAULT_RETRY_POLICY, resolvePolicy, retryTiers } from './policy';
import { LOOK_MS, REST_MS } from './retry-partition-gate';

// Integration: the runner against the real Kafka (UserCreated, six partitions, shared with every
// other test: each test acts only on its own users) and PostgreSQL (processed_events), with a
// consumer group of its own per test.
const infra = infrastructure();
const database = openDatabase(infra.databaseUrl);
const kafka = createKafka({ clientId: 'consumer-runner-test', brokers: infra.kafkaBrokers, log: () => undefined });
const logger = pino({ level: 'silent' });
let producer: Producer;
let admin: Admin;
const runners: ConsumerRunner[] = [];

beforeAll(async () => {
  producer = kafka.producer({ createPartitioner: HeraldPartitioner });
  admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
});

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});

afterAll(async () => {
  await Promise.all([producer.disconnect(), admin.disconnect()]);
  await database.close();
});

/** A user id whose events land on `partition` of UserCreatedV2. */
function userOn(partition: number): string {
  for (;;) {
    const id = randomUUID();
    if (partitionOfKey(id, 6) === partition) return id;
  }
}

/** Publishes one event and returns its offset. */
async function publish(event: EventOf<typeof UserCreatedV2>): Promise<number> {
  const [meta] = await producer.send({ topic: UserCreatedV2.name, acks: -1, messages: [toMessage(UserCreatedV2, event.data.userId, event)] });
  return Number(meta?.baseOffset);
}

/** A release-once gate a handler waits on. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

async function committed(groupId: string, partition: number): Promise<number> {
  const [topic] = await admin.fetchOffsets({ groupId, topics: [UserCreatedV2.name] });
  return Number(topic?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
}

/** The group's herald_consumer_in_progress gauge. */
async function inProgress(groupId: string): Promise<number | undefined> {
  const metric = await registry.getSingleMetric('herald_consumer_in_progress')?.get();
  return metric?.values.find((v) => v.labels.group === groupId)?.value;
}

async function startRunner(
  groupId: string,
  handle: (ctx: HandlerContext<typeof UserCreatedV2>) => Promise<void>,
  options: Partial<ConsumerRunnerOptions> = {},
  policy = DEFAULT_RETRY_POLICY,
): Promise<ConsumerRunner> {
  const runner = new ConsumerRunner({ kafka, groupId, channel: 'email', database, logger, start: 'latest', commitLingerMs: 100, ...options });
  runner.register({ topic: UserCreatedV2, name: `${groupId}:users`, policy, handle: (ctx) => handle(ctx) });
  runners.push(runner);
  await runner.start();
  await waitFor(() => runner.isJoined(), { timeoutMs: 30_000, description: `${groupId} to join` });
  return runner;
}

describe('ConsumerRunner reading ahead', () => {
  it('handles the messages after a slow one meanwhile, keeps a key in order, and commits past the slow one only when it ends', async () => {
    const groupId = uniqueName('runner-ahead');
    const slowUser = userOn(0);
    const slow = aUserCreated({ userId: slowUser });
    const held = gate();
    const started = new Set<string>();
    const ended: string[] = [];
    const mine = new Set<string>([slowUser]);
    await startRunner(groupId, async ({ event }) => {
      if (!mine.has(event.data.userId)) return;
      started.add(event.id);
      if (event.id === slow.id) await held.wait;
      ended.push(event.id);
    });
    const slowOffset = await publish(slow);
    await waitFor(() => started.has(slow.id), { timeoutMs: 30_000, description: 'the slow message to start' });

    // Published after the slow one started, on its partition: a later fetch.
    const others = Array.from({ length: 5 }, () => aUserCreated({ userId: userOn(0) }));
    others.forEach((e) => mine.add(e.data.userId));
    const sameKey = aUserCreated({ userId: slowUser });
    let lastOffset = 0;
    for (const event of [...others, sameKey]) lastOffset = await publish(event);
    await waitFor(() => others.every((e) => ended.includes(e.id)), { timeoutMs: 30_000, description: 'the other users handled while the slow one waits' });

    // The slow message's key waits behind it, and no commit passes it (three commit intervals on).
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(started.has(sameKey.id)).toBe(false);
    expect(await committed(groupId, 0)).toBeLessThanOrEqual(slowOffset);
    // The slow one and the one behind it (other tests' users may pass through meanwhile).
    expect(await inProgress(groupId)).toBeGreaterThanOrEqual(2);

    held.open();
    await waitFor(() => ended.includes(sameKey.id), { timeoutMs: 30_000, description: 'the same user’s second event' });
    expect(ended.indexOf(slow.id)).toBeLessThan(ended.indexOf(sameKey.id));
    await waitFor(async () => (await committed(groupId, 0)) > lastOffset, { timeoutMs: 10_000, description: 'the commit past the last message' });
    await waitFor(async () => (await inProgress(groupId)) === 0, { timeoutMs: 10_000, description: 'nothing left in progress' });
  });

  it('hands no message it is still handling to a member that joins, and handles each once', async () => {
    const groupId = uniqueName('runner-rejoin');
    // One on every partition: whichever partitions the rebalance moves, one of them is in progress.
    const slow = Array.from({ length: 6 }, (_, p) => aUserCreated({ userId: userOn(p) }));
    const slowIds = new Set(slow.map((e) => e.id));
    const held = gate();
    const calls: { runner: string; eventId: string }[] = [];
    const mine = new Set<string>(slow.map((e) => e.data.userId));
    const handler = (name: string) => async ({ event }: HandlerContext<typeof UserCreatedV2>) => {
      if (!mine.has(event.data.userId)) return;
      calls.push({ runner: name, eventId: event.id });
      if (slowIds.has(event.id)) await held.wait;
    };
    await startRunner(groupId, handler('first'));
    for (const event of slow) await publish(event);
    await waitFor(() => calls.length === slow.length, { timeoutMs: 30_000, description: 'the first member to start on every message' });

    // A second member joins; the group cannot settle until the first has finished its messages.
    const second = new ConsumerRunner({ kafka, groupId, channel: 'email', database, logger, start: 'latest', commitLingerMs: 100 });
    second.register({ topic: UserCreatedV2, name: `${groupId}:users`, policy: DEFAULT_RETRY_POLICY, handle: (ctx) => handler('second')(ctx) });
    runners.push(second);
    // kafkajs' run() returns once the member has joined: not before the first one finished.
    const secondStarted = second.start();
    // Long enough for the first member's heartbeat (every 3 s) to learn of the rebalance.
    await new Promise((resolve) => setTimeout(resolve, 7000));
    expect(second.isJoined()).toBe(false);
    expect(calls.filter((c) => c.runner !== 'first')).toEqual([]);

    held.open();
    await secondStarted;
    await waitFor(() => second.isJoined(), { timeoutMs: 30_000, description: 'the second member to join' });
    // After the rebalance, a message on each partition: each handled once, by whichever owns it.
    const after = Array.from({ length: 6 }, (_, p) => aUserCreated({ userId: userOn(p) }));
    after.forEach((e) => mine.add(e.data.userId));
    for (const event of after) await publish(event);
    await waitFor(() => after.every((e) => calls.some((c) => c.eventId === e.id)), { timeoutMs: 30_000, description: 'the messages after the rebalance' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ids = calls.map((c) => c.eventId);
    expect(ids).toHaveLength(slow.length + after.length);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(calls.map((c) => c.runner))).toEqual(new Set(['first', 'second']));
  }, 90_000);

  it('skips an attempt seen again after a restart while a later one waits in a retry topic', async () => {
    const groupId = uniqueName('runner-retried');
    const policy = resolvePolicy(DEFAULT_RETRY_POLICY, { initialInterval: 'PT2S', jitter: 0 });
    const event = aUserCreated({ userId: userOn(4) });
    const calls: { runner: string; attempt: number }[] = [];
    const handler = (name: string) => async ({ event: e, attempt }: HandlerContext<typeof UserCreatedV2>) => {
      if (e.id !== event.id) return;
      calls.push({ runner: name, attempt });
      if (attempt === 1) throw new Error('the first attempt fails');
    };
    const first = await startRunner(groupId, handler('first'), {}, policy);
    await publish(event);
    await waitFor(() => calls.length === 1, { timeoutMs: 30_000, description: 'the failed first attempt' });
    // Attempt 2 is now in the retry topic. The next process of the group knows only the database.
    await first.stop();
    await startRunner(groupId, handler('second'), {}, policy);
    // As after a crash before the source offset's commit: the first attempt's message again.
    await publish(event);
    await waitFor(() => calls.some((c) => c.attempt === 2), { timeoutMs: 30_000, description: 'the second attempt' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(calls).toEqual([
      { runner: 'first', attempt: 1 },
      { runner: 'second', attempt: 2 },
    ]);
  }, 90_000);
});

describe('ConsumerRunner and its idle retry partitions', () => {
  it('leaves them out of its fetches, and still reads a redrive another process wrote, within a rest', async () => {
    const groupId = uniqueName('runner-resting');
    const event = aUserCreated({ userId: userOn(2) });
    const handled: number[] = [];
    const runner = await startRunner(groupId, async ({ event: e }) => {
      if (e.id === event.id) handled.push(Date.now());
    });
    const redrive = `${groupId}.${UserCreatedV2.name}.redrive`;
    // What kafkajs leaves out of its fetches (the runner's consumer is its own business).
    const paused = () => ((runner as unknown as { consumer?: Consumer }).consumer?.paused() ?? []).map((p) => p.topic);
    await waitFor(() => paused().includes(redrive), { timeoutMs: 5000, description: 'the idle redrive partition to rest' });
    // Every retry tier and the redrive topic, one partition each; never the source.
    await waitFor(() => paused().filter((t) => t.startsWith(`${groupId}.`)).length === retryTiers(DEFAULT_RETRY_POLICY).length + 1, {
      timeoutMs: 5000,
      description: 'every retry partition to rest',
    });
    expect(paused()).not.toContain(UserCreatedV2.name);

    // As the dead-letter CLI redrives a letter: straight into the group's redrive topic.
    const written = Date.now();
    const message = toMessage(UserCreatedV2, event.data.userId, event);
    await producer.send({ topic: redrive, acks: -1, messages: [{ ...message, headers: { ...message.headers, [RetryHeaders.notBefore]: String(written) } }] });
    await waitFor(() => handled.length > 0, { timeoutMs: REST_MS + LOOK_MS + 5000, description: 'the redriven message' });
    expect(handled).toHaveLength(1);
  }, 60_000);
});
