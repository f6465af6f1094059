import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { openDatabase, users } from '@herald/db';
import { indexesSoFar, infrastructure, scansSoFar, uniqueName } from '@herald/testing';
import { ManualClock } from './clock';
import { ScheduledMessagesStore } from './scheduled-messages.store';

// Integration: the real PostgreSQL. Every key starts with a prefix of this test's own.
describe('ScheduledMessagesStore', () => {
  const database = openDatabase(infrastructure().databaseUrl, { max: 12 });
  const clock = new ManualClock();
  const store = new ScheduledMessagesStore(database.db, { clock });
  const prefixes: string[] = [];
  const prefixed = (name: string) => {
    const prefix = uniqueName(name);
    prefixes.push(prefix);
    return prefix;
  };
  afterAll(async () => {
    // Leave nothing pending for a real dispatcher sharing the database.
    for (const prefix of prefixes) await store.cancelByPrefix(prefix);
    await database.close();
  });

  const message = (scheduleKey: string, dueInMs: number, value: unknown = { n: 1 }) => ({
    scheduleKey,
    topic: 'test.scheduler.store',
    key: 'k',
    value,
    headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    dueAt: new Date(clock.now().getTime() + dueInMs),
  });

  it('replaces the message pending under a key: the old one is cancelled, one stays pending', async () => {
    const prefix = prefixed('store-replace');
    const key = `${prefix}:a`;
    const first = await store.schedule(message(key, 60_000, { v: 1 }));
    expect(first.replaced).toBe(false);
    const second = await store.schedule(message(key, 120_000, { v: 2 }));
    expect(second.replaced).toBe(true);
    expect(second.id).not.toBe(first.id);

    const history = await store.history(key);
    expect(history.map((r) => [r.state, r.value])).toEqual([
      ['cancelled', { v: 1 }],
      ['pending', { v: 2 }],
    ]);
    expect(history[1]?.headers).toEqual({ traceparent: expect.stringMatching(/^00-/) as unknown });
    expect(await store.pendingCount({ scheduleKeyPrefix: prefix })).toBe(1);
    expect(history[1]?.dueAt).toEqual(second.dueAt);
  });

  it('keeps exactly one pending row when many replace the same key at once', async () => {
    const prefix = prefixed('store-race');
    const key = `${prefix}:a`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.schedule(message(key, 60_000 + i, { v: i }))),
    );
    expect(results).toHaveLength(20);
    expect(await store.pendingCount({ scheduleKeyPrefix: prefix })).toBe(1);
    const history = await store.history(key);
    expect(history.filter((r) => r.state === 'pending')).toHaveLength(1);
  });

  it('schedules the calls of one turn in one transaction, a later call for a key replacing an earlier one', async () => {
    const prefix = prefixed('store-together');
    const [first, second, other, gone] = await Promise.all([
      store.schedule(message(`${prefix}:a`, 60_000, { v: 1 })),
      store.schedule(message(`${prefix}:a`, 60_000, { v: 2 })),
      store.schedule(message(`${prefix}:b`, 60_000, { v: 3 })),
      // A user nobody created: nothing is scheduled for them, and the others still are.
      store.schedule(message(`${prefix}:c`, 60_000, { v: 4 }), '00000000-0000-4000-8000-000000000000'),
    ]);
    expect([first.replaced, second.replaced, other.replaced, gone]).toEqual([false, true, false, undefined]);
    expect((await store.history(`${prefix}:a`)).map((r) => [r.state, r.value])).toEqual([
      ['cancelled', { v: 1 }],
      ['pending', { v: 2 }],
    ]);
    expect(await store.history(`${prefix}:c`)).toEqual([]);
    // Rows written by one transaction carry its id.
    const { rows } = await database.pool.query<{ xmin: string }>(
      'select distinct xmin::text from scheduled_messages where starts_with(schedule_key, $1)',
      [prefix],
    );
    expect(rows).toHaveLength(1);
  });

  it('schedules inside a transaction on its connection, and tells its listeners only once it commits', async () => {
    const prefix = prefixed('store-in-transaction');
    const told: Date[] = [];
    const unsubscribe = store.onScheduled((dueAt) => told.push(dueAt));
    try {
      const scheduled = await store.transaction(async (tx) => {
        const first = await tx.schedule(message(`${prefix}:a`, 60_000, { v: 1 }));
        const second = await tx.schedule(message(`${prefix}:a`, 60_000, { v: 2 }));
        expect(told).toEqual([]);
        return [first, second];
      });
      expect(scheduled.map((r) => r.replaced)).toEqual([false, true]);
      expect(told).toEqual(scheduled.map((r) => r.dueAt));
      await expect(
        store.transaction(async (tx) => {
          await tx.schedule(message(`${prefix}:b`, 60_000));
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(told).toHaveLength(2);
      expect(await store.history(`${prefix}:b`)).toEqual([]);
      expect((await store.history(`${prefix}:a`)).map((r) => [r.state, r.value])).toEqual([
        ['cancelled', { v: 1 }],
        ['pending', { v: 2 }],
      ]);
    } finally {
      unsubscribe();
    }
  });

  it('cancels by key and by prefix, and counts what it cancelled', async () => {
    const prefix = prefixed('store-cancel');
    await store.schedule(message(`${prefix}:user-a:1`, 1000));
    await store.schedule(message(`${prefix}:user-a:2`, 1000));
    await store.schedule(message(`${prefix}:user-b`, 1000));
    expect(await store.cancelByPrefix(`${prefix}:user-a`)).toBe(2);
    expect(await store.cancelByPrefix(`${prefix}:user-a`)).toBe(0);
    expect(await store.cancel(`${prefix}:user-b`)).toBe(1);
    expect(await store.cancel(`${prefix}:user-b`)).toBe(0);
    expect(await store.pendingCount({ scheduleKeyPrefix: prefix })).toBe(0);
    // LIKE wildcards in a prefix are plain characters.
    expect(await store.cancelByPrefix('%')).toBe(0);
    await expect(store.cancelByPrefix('')).rejects.toThrow(RangeError);
  });

  it('takes due rows in due order, skips rows another transaction holds, and marks them dispatched until a rollback', async () => {
    const prefix = prefixed('store-claim');
    const filter = { scheduleKeyPrefix: prefix };
    for (const [name, dueIn] of [
      ['c', -1000],
      ['a', -3000],
      ['b', -2000],
      ['later', 60_000],
    ] as const) {
      await store.schedule(message(`${prefix}:${name}`, dueIn));
    }
    await expect(store.claimDue(clock.now(), 10, filter)).rejects.toThrow(
      /inside ScheduledMessagesStore.transaction/,
    );

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstClaimed: string[] = [];
    // The first transaction takes two rows and fails (its publish, say) while holding them.
    const first = store.transaction(async (tx) => {
      firstClaimed = (await tx.claimDue(clock.now(), 2, filter)).map((r) => r.scheduleKey);
      await held;
      throw new Error('publish failed');
    });
    while (firstClaimed.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(firstClaimed).toEqual([`${prefix}:a`, `${prefix}:b`]);

    await store.transaction(async (tx) => {
      const rows = await tx.claimDue(clock.now(), 10, filter);
      expect(rows.map((r) => r.scheduleKey)).toEqual([`${prefix}:c`]);
      expect(rows[0]).toMatchObject({ topic: 'test.scheduler.store', key: 'k', value: { n: 1 } });
    });
    // Rolled back, the first transaction's rows are pending again, as they were.
    release();
    await expect(first).rejects.toThrow('publish failed');
    expect(await store.pendingCount(filter)).toBe(3);
    expect((await store.history(`${prefix}:a`))[0]).toMatchObject({ state: 'pending', dispatchedAt: null });
    expect((await store.history(`${prefix}:c`))[0]).toMatchObject({
      state: 'dispatched',
      dispatchedAt: clock.now(),
    });
  });

  it('cancels a taken row it must not publish, in the same transaction', async () => {
    const prefix = prefixed('store-cancel-claimed');
    const filter = { scheduleKeyPrefix: prefix };
    await store.schedule(message(`${prefix}:bad`, -1000));
    await store.transaction(async (tx) => {
      const [row] = await tx.claimDue(clock.now(), 10, filter);
      expect(await tx.cancelClaimed([row!.id], clock.now())).toBe(1);
    });
    expect((await store.history(`${prefix}:bad`))[0]).toMatchObject({
      state: 'cancelled',
      dispatchedAt: null,
      cancelledAt: clock.now(),
    });
  });

  it('takes due rows through the pending rows index even when the planner would rather scan the table', async () => {
    const prefix = prefixed('store-take-index');
    const filter = { scheduleKeyPrefix: prefix };
    await store.schedule(message(`${prefix}:due`, -1000));
    await store.transaction(async (tx) => {
      // Index pages priced a thousand times a sequential one: a plan left to the costs scans the table.
      await tx.db.execute(sql`set local random_page_cost = 1000`);
      const seqScans = () => scansSoFar((text) => tx.db.execute(sql.raw(text)), 'scheduled_messages');
      const before = await seqScans();
      const taken = await tx.claimBatch(clock.now(), 10, filter);
      expect(taken.rows.map((r) => r.scheduleKey)).toEqual([`${prefix}:due`]);
      expect((await seqScans()) - before).toBe(0);
    });
  });

  it('takes and finds the next due time by keys, reading the rows it takes and the next, not every pending row', async () => {
    const prefix = prefixed('store-take-by-keys');
    // The index entries of rows other runs cancelled, gone: the count below is this take's alone.
    await database.db.execute(sql`vacuum scheduled_messages`);
    await store.transaction(async (tx) => {
      // Statistics made before the rows below exist, and a planner that would rather not loop over
      // index lookups: a plan left to them reads every pending row, or hashes the whole table.
      await tx.db.execute(sql`analyze scheduled_messages`);
      await tx.db.execute(sql`set local enable_nestloop = off`);
      // A topic of its own, as the dispatcher filters by topic: the statistics know of no row of it.
      const ofTopic = (scheduleKey: string, dueInMs: number) => ({ ...message(scheduleKey, dueInMs), topic: prefix });
      await tx.schedule(ofTopic(`${prefix}:due`, -1000));
      for (let i = 0; i < 300; i += 1) await tx.schedule(ofTopic(`${prefix}:later-${i}`, 60_000 + i));
      const read = () => indexesSoFar((text) => tx.db.execute(sql.raw(text)), 'scheduled_messages', 'tuples_returned');
      const before = await read();
      // A limit as large as the dispatcher's drain batches: the plan must not expect that many.
      const taken = await tx.claimBatch(clock.now(), 2000, { topics: [prefix] });
      expect(taken.rows.map((r) => r.scheduleKey)).toEqual([`${prefix}:due`]);
      expect(taken.next).toEqual(new Date(clock.now().getTime() + 60_000));
      const after = await read();
      const readFrom = (index: string) => (after.get(index) ?? 0) - (before.get(index) ?? 0);
      // The taken row and the next one (and the pending rows of other tests due before them), not the 300.
      expect(readFrom('scheduled_messages_due_idx')).toBeLessThan(100);
      expect(readFrom('scheduled_messages_pkey')).toBeLessThan(100);
    });
  });

  it('holds the active user by primary key, even where the planner would rather scan users', async () => {
    const prefix = prefixed('store-schedule-user');
    const id = randomUUID();
    await database.db.insert(users).values({ id, email: `${id}@example.com`, username: `u${id.slice(0, 8)}`, fullName: 'Ada' });
    await store.transaction(async (tx) => {
      // Index pages priced a thousand times a sequential one: a plan left to the costs scans the table.
      await tx.db.execute(sql`set local random_page_cost = 1000`);
      const seqScans = () => scansSoFar((text) => tx.db.execute(sql.raw(text)), 'users');
      const before = await seqScans();
      expect(await tx.schedule(message(`${prefix}:live`, 60_000), id)).toBeDefined();
      expect((await seqScans()) - before).toBe(0);
    });
  });

  it('finds the pending row of a key only through the unique index its insert arbitrates on', async () => {
    const prefix = prefixed('store-schedule-index');
    await store.schedule(message(`${prefix}:replaced`, 60_000));
    await store.transaction(async (tx) => {
      // The backend's counts not yet reported: the difference is this transaction's.
      const scans = () => indexesSoFar((text) => tx.db.execute(sql.raw(text)), 'scheduled_messages', 'numscans');
      const before = await scans();
      await tx.schedule(message(`${prefix}:new`, 60_000));
      await tx.schedule(message(`${prefix}:replaced`, 120_000));
      const after = await scans();
      const used = Object.fromEntries([...after].flatMap(([name, n]) => (n === before.get(name) ? [] : [[name, n - (before.get(name) ?? 0)] as const])));
      // One look for the new key; for the replaced one, its cancellation's and the new row's.
      // No other index: a plan left to stale statistics could read every pending row by due time.
      expect(used).toEqual({ scheduled_messages_pending_key: 3 });
    });
    expect((await store.history(`${prefix}:replaced`)).map((r) => r.state)).toEqual(['cancelled', 'pending']);
  });
});
