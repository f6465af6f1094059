import { FollowUpRequestedV2 } from '@herald/contracts';
import { openDatabase, type DatabaseHandle } from '@herald/db';
import { createKafka, ensureTopics, RenewingProducer, type BatchSender } from '@herald/kafka';
import { infrastructure, uniqueName, waitFor } from '@herald/testing';
import { ManualClock, type Clock } from './clock';
import { createDispatchProducer } from './dispatch.publishing';
import { Dispatcher, type DispatcherOptions } from './dispatcher';
import type { SchedulerLogger } from './logger';
import { ScheduledMessagesStore } from './scheduled-messages.store';

const DAY = 86_400_000;

/** A logger that keeps what it is told, for assertions. */
function recordingLogger(): SchedulerLogger & {
  lines: { level: string; obj: object; msg: string }[];
} {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

// Integration: the real PostgreSQL and Kafka. The test topic is this file's own; each test
// claims only rows whose schedule key starts with its own prefix, so test files running in
// parallel against the same table never take each other's rows.
describe('Dispatcher', () => {
  const kafka = createKafka({
    clientId: 'scheduler-dispatcher-test',
    brokers: infrastructure().kafkaBrokers,
  });
  const admin = kafka.admin();
  const consumer = kafka.consumer({ groupId: uniqueName('scheduler-dispatcher-test') });
  const topic = uniqueName('test.scheduler.dispatch');
  const received: { key: string; value: unknown; headers: Record<string, string>; at: number }[] =
    [];
  const handles: DatabaseHandle[] = [];
  const producers: RenewingProducer[] = [];
  const dispatchers: Dispatcher[] = [];

  const database = (): DatabaseHandle => {
    const handle = openDatabase(infrastructure().databaseUrl, { max: 4 });
    handles.push(handle);
    return handle;
  };
  const producer = async (): Promise<RenewingProducer> => {
    const p = new RenewingProducer(() => createDispatchProducer(kafka));
    await p.connect();
    producers.push(p);
    return p;
  };
  const dispatcher = async (
    options: Partial<DispatcherOptions> & {
      prefix: string;
      clock?: Clock;
      handle?: DatabaseHandle;
    },
  ): Promise<Dispatcher> => {
    const handle = options.handle ?? database();
    prefixes.push(options.prefix);
    const d = new Dispatcher({
      store: new ScheduledMessagesStore(handle.db, { clock: options.clock }),
      producer: options.producer ?? (await producer()),
      logger: options.logger ?? recordingLogger(),
      filter: { scheduleKeyPrefix: options.prefix },
      allowTopic: (t) => t === topic,
      ...options,
    });
    dispatchers.push(d);
    return d;
  };
  const prefixes: string[] = [];
  const sentWith = (prefix: string) => received.filter((m) => m.key.startsWith(prefix));
  const sleeping = (d: Dispatcher) =>
    waitFor(() => d.phase === 'sleeping', {
      timeoutMs: 10_000,
      description: 'the dispatcher to sleep',
    });

  beforeAll(async () => {
    await admin.connect();
    await ensureTopics(admin, [{ name: topic, partitions: 3 }]);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({
          key: String(message.key),
          value: JSON.parse(String(message.value)) as unknown,
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
          ),
          at: Date.now(),
        });
      },
    });
  }, 30_000);
  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
  });
  afterAll(async () => {
    // Leave no pending row aimed at this file's topic, which is deleted below.
    const store = new ScheduledMessagesStore(handles[0]!.db);
    for (const prefix of new Set(prefixes)) await store.cancelByPrefix(prefix);
    await consumer.disconnect();
    await Promise.all(producers.map((p) => p.disconnect()));
    await Promise.all(handles.map((h) => h.close()));
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }, 30_000);

  it('skips time: a row due in three days is sent right after the clock advances three days, not before', async () => {
    const prefix = uniqueName('skip');
    const clock = new ManualClock();
    const lateness: number[] = [];
    const d = await dispatcher({
      prefix,
      clock,
      onDispatched: (_rows, ms) => lateness.push(...ms),
    });
    const store = new ScheduledMessagesStore(handles.at(-1)!.db, { clock });
    await store.schedule({
      scheduleKey: `${prefix}:follow-up`,
      topic,
      key: `${prefix}-k`,
      value: { hello: 'in three days' },
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      dueAt: new Date(clock.now().getTime() + 3 * DAY),
    });
    await d.start();
    await sleeping(d);

    clock.advance(3 * DAY - 1000);
    await sleeping(d);
    await new Promise((r) => setTimeout(r, 500));
    expect(sentWith(prefix)).toHaveLength(0);
    expect(await store.pendingCount({ scheduleKeyPrefix: prefix })).toBe(1);

    clock.advance(1000);
    const [message] = await waitFor(() => sentWith(prefix).length > 0 && sentWith(prefix), {
      timeoutMs: 10_000,
      description: 'the row to be sent after the advance',
    });
    expect(message).toMatchObject({
      key: `${prefix}-k`,
      value: { hello: 'in three days' },
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });
    // The message reaches Kafka before its round commits; onDispatched follows the commit.
    await waitFor(() => lateness.length > 0, { timeoutMs: 10_000, description: 'the round to commit' });
    expect(lateness).toEqual([0]);
    expect((await store.history(`${prefix}:follow-up`))[0]?.state).toBe('dispatched');
  });

  it('a dispatcher stopped before the row is due and another started after send it exactly once', async () => {
    const prefix = uniqueName('restart');
    const clock = new ManualClock();
    const first = await dispatcher({ prefix, clock });
    const store = new ScheduledMessagesStore(handles.at(-1)!.db, { clock });
    await store.schedule({
      scheduleKey: `${prefix}:a`,
      topic,
      key: `${prefix}-a`,
      value: { n: 1 },
      dueAt: new Date(clock.now().getTime() + 60_000),
    });
    await first.start();
    await sleeping(first);
    await first.stop();
    expect(first.phase).toBe('stopped');

    clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(sentWith(prefix)).toHaveLength(0);

    const second = await dispatcher({ prefix, clock });
    await second.start();
    await waitFor(() => sentWith(prefix).length > 0, {
      timeoutMs: 10_000,
      description: 'the row to be sent',
    });
    await sleeping(second);
    await new Promise((r) => setTimeout(r, 1500));
    expect(sentWith(prefix)).toHaveLength(1);
  });

  it('two dispatchers, each with its own producer and pool, send each of 200 due rows exactly once', async () => {
    const prefix = uniqueName('pair');
    const handle = database();
    const store = new ScheduledMessagesStore(handle.db);
    const due = new Date(Date.now() - 1000);
    for (let i = 0; i < 200; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          store.schedule({
            scheduleKey: `${prefix}:${i + j}`,
            topic,
            key: `${prefix}-${i + j}`,
            value: { n: i + j },
            dueAt: due,
          }),
        ),
      );
    }
    const counts = [0, 0];
    const a = await dispatcher({
      prefix,
      batchSize: 15,
      onDispatched: (rows) => (counts[0]! += rows.length),
    });
    const b = await dispatcher({
      prefix,
      batchSize: 15,
      onDispatched: (rows) => (counts[1]! += rows.length),
    });
    await Promise.all([a.start(), b.start()]);

    await waitFor(() => sentWith(prefix).length >= 200, {
      timeoutMs: 30_000,
      description: '200 rows to be sent',
    });
    await new Promise((r) => setTimeout(r, 1500));
    const keys = sentWith(prefix).map((m) => m.key);
    expect(keys).toHaveLength(200);
    expect(new Set(keys).size).toBe(200);
    expect(counts[0]! + counts[1]!).toBe(200);
    expect(await store.pendingCount({ scheduleKeyPrefix: prefix })).toBe(0);
  });

  it('wakes when its store schedules a row due before it would look, and finds another replica’s row on its next look', async () => {
    const prefix = uniqueName('wake');
    const store = new ScheduledMessagesStore(database().db);
    const d = await dispatcher({ prefix, store, maxIdleMs: 120_000 });
    await d.start();
    await sleeping(d);
    const scheduledAt = Date.now();
    await store.schedule({ scheduleKey: `${prefix}:a`, topic, key: `${prefix}-a`, value: { n: 1 }, dueAt: new Date(scheduledAt + 200) });
    const [message] = await waitFor(() => sentWith(prefix).length > 0 && sentWith(prefix), {
      timeoutMs: 5000,
      description: 'the row to be sent',
    });
    expect(message!.at - scheduledAt).toBeGreaterThanOrEqual(150);
    expect(message!.at - scheduledAt).toBeLessThan(1200);

    // Another replica's store tells this dispatcher nothing: the row waits for its next look.
    const other = `${prefix}-other`;
    const looking = await dispatcher({ prefix: other, maxIdleMs: 2000 });
    await looking.start();
    await sleeping(looking);
    await new ScheduledMessagesStore(database().db).schedule({ scheduleKey: `${other}:b`, topic, key: `${other}-b`, value: { n: 2 }, dueAt: new Date() });
    await waitFor(() => sentWith(other).length > 0, { timeoutMs: 10_000, description: 'the other replica’s row to be sent' });
  });

  it('cancels rows it must not publish (value breaks the contract, topic unknown), logs why, goes on', async () => {
    const prefix = uniqueName('invalid');
    const logger = recordingLogger();
    const d = await dispatcher({ prefix, logger, batchSize: 1 });
    const store = new ScheduledMessagesStore(handles.at(-1)!.db);
    const bad = await store.schedule({
      scheduleKey: `${prefix}:bad`,
      topic: FollowUpRequestedV2.name,
      key: 'not-a-user',
      value: { type: 'FollowUpRequested', data: { userId: 'nope' } },
      dueAt: new Date(Date.now() - 3000),
    });
    const stray = await store.schedule({
      scheduleKey: `${prefix}:stray`,
      topic: 'nobody.owns.this.v1',
      key: 'k',
      value: {},
      dueAt: new Date(Date.now() - 2000),
    });
    await store.schedule({
      scheduleKey: `${prefix}:good`,
      topic,
      key: `${prefix}-good`,
      value: { ok: true },
      dueAt: new Date(Date.now() - 1000),
    });
    await d.start();

    await waitFor(() => sentWith(prefix).length > 0, {
      timeoutMs: 10_000,
      description: 'the good row to be sent',
    });
    // The good row reaches Kafka before its round commits the cancellations with it; a stop
    // waits for the round.
    await d.stop();
    expect((await store.history(`${prefix}:bad`))[0]?.state).toBe('cancelled');
    expect((await store.history(`${prefix}:stray`))[0]?.state).toBe('cancelled');
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors.map((e) => e.obj)).toEqual([
      expect.objectContaining({
        scheduledMessageId: String(bad.id),
        topic: FollowUpRequestedV2.name,
      }),
      expect.objectContaining({
        scheduledMessageId: String(stray.id),
        topic: 'nobody.owns.this.v1',
      }),
    ]);
    expect(errors[0]!.msg).toMatch(
      new RegExp(`scheduled message ${bad.id} cancelled: .*does not match its schema`),
    );
    expect(errors[1]!.msg).toBe(
      `scheduled message ${stray.id} cancelled: topic "nobody.owns.this.v1" is not a Herald topic`,
    );
  });

  it('never sends what was cancelled by prefix', async () => {
    const prefix = uniqueName('cancelled');
    const clock = new ManualClock();
    const d = await dispatcher({ prefix, clock });
    const store = new ScheduledMessagesStore(handles.at(-1)!.db, { clock });
    const dueAt = new Date(clock.now().getTime() + 60_000);
    for (const name of ['user-a:1', 'user-a:2', 'user-b']) {
      await store.schedule({
        scheduleKey: `${prefix}:${name}`,
        topic,
        key: `${prefix}-${name}`,
        value: {},
        dueAt,
      });
    }
    expect(await store.cancelByPrefix(`${prefix}:user-a`)).toBe(2);
    await d.start();
    await sleeping(d);
    clock.advance(60_000);
    await waitFor(() => sentWith(prefix).length > 0, {
      timeoutMs: 10_000,
      description: 'user-b to be sent',
    });
    await sleeping(d);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sentWith(prefix).map((m) => m.key)).toEqual([`${prefix}-user-b`]);
  });

  /** `count` due rows over ten keys, each key's rows due one after the other. */
  const scheduleBacklog = async (store: ScheduledMessagesStore, prefix: string, count: number) => {
    const start = Date.now() - 60_000;
    for (let i = 0; i < count; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, count - i) }, (_, j) =>
          store.schedule({
            scheduleKey: `${prefix}:${i + j}`,
            topic,
            key: `${prefix}-k${(i + j) % 10}`,
            value: { n: i + j },
            dueAt: new Date(start + (i + j) * 10),
          }),
        ),
      );
    }
  };
  /** The `n`s each key of `prefix` was received with, in the order received. */
  const orderByKey = (prefix: string): Map<string, number[]> => {
    const byKey = new Map<string, number[]>();
    for (const m of sentWith(prefix)) {
      byKey.set(m.key, [...(byKey.get(m.key) ?? []), (m.value as { n: number }).n]);
    }
    return byKey;
  };
  /**
   * A producer that waits `delayMs` before each send, and fails the sends numbered in `failing`
   * after three times as long (the round taken behind one has then long been ready to publish).
   */
  const slowProducer = (real: BatchSender, delayMs: number, failing: readonly number[] = []): BatchSender => {
    let sends = 0;
    return {
      send: async (batch) => {
        sends += 1;
        const n = sends;
        const fails = failing.includes(n);
        await new Promise((r) => setTimeout(r, fails ? 3 * delayMs : delayMs));
        if (fails) throw new Error(`send ${n} refused by the test`);
        return real.send(batch);
      },
    };
  };

  it('takes the next round while the last one publishes, and keeps the due order of every key', async () => {
    const prefix = uniqueName('backlog');
    const handle = database();
    const store = new ScheduledMessagesStore(handle.db);
    await scheduleBacklog(store, prefix, 250);
    // Counts the rounds open at once: a round is one transaction of the store.
    let open = 0;
    let mostOpen = 0;
    const counting = new ScheduledMessagesStore(handle.db);
    const transaction = counting.transaction.bind(counting);
    counting.transaction = async (work) => {
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      try {
        return await transaction(work);
      } finally {
        open -= 1;
      }
    };
    const d = await dispatcher({
      prefix,
      handle,
      store: counting,
      batchSize: 50,
      producer: slowProducer(await producer(), 150),
    });
    await d.start();

    await waitFor(() => sentWith(prefix).length >= 250, {
      timeoutMs: 30_000,
      description: '250 rows to be sent',
    });
    await d.stop(); // the last round commits after its send
    expect(mostOpen).toBe(2);
    const byKey = orderByKey(prefix);
    expect(byKey.size).toBe(10);
    for (const ns of byKey.values()) {
      expect(ns).toHaveLength(25);
      expect(ns).toEqual([...ns].sort((x, y) => x - y));
    }
    expect(await store.pendingCount({ scheduleKeyPrefix: prefix })).toBe(0);
  });

  it('rolls back the round taken behind a failed publish, and sends both rounds later, in order', async () => {
    const prefix = uniqueName('behind');
    const logger = recordingLogger();
    const handle = database();
    const store = new ScheduledMessagesStore(handle.db);
    await scheduleBacklog(store, prefix, 250);
    const d = await dispatcher({
      prefix,
      handle,
      logger,
      batchSize: 50,
      backoff: { initialMs: 50, maxMs: 200 },
      producer: slowProducer(await producer(), 100, [2]),
    });
    await d.start();

    await waitFor(() => sentWith(prefix).length >= 250, {
      timeoutMs: 30_000,
      description: '250 rows to be sent',
    });
    await d.stop();
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'scheduler dispatch failed: send 2 refused by the test',
    ]);
    const byKey = orderByKey(prefix);
    for (const ns of byKey.values()) {
      // Each row once (nothing was sent by the failed send), in due order.
      expect(ns).toEqual([...new Set(ns)].sort((x, y) => x - y));
      expect(ns).toHaveLength(25);
    }
    expect(await store.pendingCount({ scheduleKeyPrefix: prefix })).toBe(0);
  });

  it('loses nothing when Kafka fails: the batch rolls back and is sent once Kafka is back', async () => {
    const prefix = uniqueName('outage');
    const logger = recordingLogger();
    const failing: BatchSender = {
      send: () =>
        Promise.reject(
          Object.assign(new Error('Connection error: ECONNREFUSED'), {
            name: 'KafkaJSConnectionError',
          }),
        ),
    };
    const down = await dispatcher({
      prefix,
      producer: failing,
      logger,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    const store = new ScheduledMessagesStore(handles.at(-1)!.db);
    await store.schedule({
      scheduleKey: `${prefix}:a`,
      topic,
      key: `${prefix}-a`,
      value: { n: 1 },
      dueAt: new Date(Date.now() - 1000),
    });

    await expect(down.dispatchOnce()).rejects.toThrow(/ECONNREFUSED/);
    expect(await store.pendingCount({ scheduleKeyPrefix: prefix })).toBe(1);
    await down.start();
    await waitFor(() => logger.lines.filter((l) => l.level === 'error').length >= 3, {
      timeoutMs: 10_000,
      description: 'the loop to retry with backoff',
    });
    await down.stop();
    expect(await store.pendingCount({ scheduleKeyPrefix: prefix })).toBe(1);

    const up = await dispatcher({ prefix });
    await up.start();
    await waitFor(() => sentWith(prefix).length > 0, {
      timeoutMs: 10_000,
      description: 'the row to be sent',
    });
    await up.stop(); // the round commits after its send
    expect(await store.pendingCount({ scheduleKeyPrefix: prefix })).toBe(0);
  });
});
