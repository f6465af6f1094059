import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { infrastructure } from '@herald/testing';
import { openDatabase } from './client';
import { migrateDatabase } from './migrate';
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
