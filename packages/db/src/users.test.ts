import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { infrastructure } from '@herald/testing';
import { openDatabase } from './client';
import { migrateDatabase } from './migrate';
import { isDatabaseUnavailable } from './unavailable';
import { outbox, users } from './schema';

// Integration: the real PostgreSQL, migrated by the global setup.
describe('users and outbox tables', () => {
  const handle = openDatabase(infrastructure().databaseUrl);
  afterAll(() => handle.close());

  it('migrating again changes nothing', async () => {
    await expect(migrateDatabase(infrastructure().databaseUrl)).resolves.toBeUndefined();
  });

  it('writes and reads a user and its outbox row in one transaction', async () => {
    const id = randomUUID();
    const email = `${id}@example.com`;
    await handle.db.transaction(async (tx) => {
      await tx.insert(users).values({ id, email, username: `u${id.slice(0, 8)}`, fullName: 'Grace Hopper' });
      await tx.insert(outbox).values({ eventId: randomUUID(), topic: 'test.outbox-only.v1', key: id, payload: { id } });
    });
    const [row] = await handle.db.select().from(users).where(eq(users.id, id));
    expect(row).toMatchObject({ id, email, fullName: 'Grace Hopper', deletedAt: null });
    expect(row?.createdAt).toBeInstanceOf(Date);
    const pending = await handle.db.select().from(outbox).where(eq(outbox.key, id));
    expect(pending).toHaveLength(1);
    expect(pending[0]?.publishedAt).toBeNull();
  });

  it('refuses a second user with the same email in another case', async () => {
    const id = randomUUID();
    await handle.db.insert(users).values({ id, email: `${id}@example.com`, username: `a${id.slice(0, 8)}`, fullName: 'A' });
    await expect(
      handle.db.insert(users).values({
        id: randomUUID(),
        email: `${id.toUpperCase()}@EXAMPLE.COM`,
        username: `b${id.slice(0, 8)}`,
        fullName: 'B',
      }),
    ).rejects.toHaveProperty('cause.code', '23505');
  });

  it('rolls back both rows when the transaction fails', async () => {
    const id = randomUUID();
    await expect(
      handle.db.transaction(async (tx) => {
        await tx.insert(users).values({ id, email: `${id}@example.com`, username: `r${id.slice(0, 8)}`, fullName: 'R' });
        await tx.execute(sql`select 1/0`);
      }),
    ).rejects.toThrow();
    expect(await handle.db.select().from(users).where(eq(users.id, id))).toHaveLength(0);
  });
});

describe('pool sessions', () => {
  const handle = openDatabase(infrastructure().databaseUrl, { max: 2 });
  afterAll(() => handle.close());

  it('bound every statement and every idle transaction', async () => {
    const { rows } = await handle.pool.query<{ statement: string; idle: string }>(
      `select current_setting('statement_timeout') as statement, current_setting('idle_in_transaction_session_timeout') as idle`,
    );
    expect(rows).toEqual([{ statement: '30s', idle: '1min' }]);
  });

  it('cancel a statement that outlives its timeout, as an unavailable database', async () => {
    const short = openDatabase(infrastructure().databaseUrl, { max: 1, statement_timeout: 100 });
    try {
      const error: unknown = await short.pool.query('select pg_sleep(2)').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: '57014' });
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await short.close();
    }
  });
});
