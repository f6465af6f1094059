import { randomUUID } from 'node:crypto';
import { infrastructure, scansSoFar } from '@herald/testing';
import { openDatabase } from './client';
import { readLiveUsers } from './live-users';
import { users } from './schema';

// Integration: the real PostgreSQL, migrated by the global setup.
describe('readLiveUsers', () => {
  // One connection: the transaction, its settings and the lookup share it.
  const handle = openDatabase(infrastructure().databaseUrl, { max: 1 });
  afterAll(() => handle.close());

  const newUser = (deleted = false) => {
    const id = randomUUID();
    return deleted
      ? { id, email: null, username: null, fullName: null, deletedAt: new Date() }
      : { id, email: `${id}@example.com`, username: `u${id.slice(0, 8)}`, fullName: 'Ada Lovelace' };
  };

  it('reads the live users among the ids by primary key, even where the planner would rather scan the table', async () => {
    const [live, deleted] = [newUser(), newUser(true)];
    await handle.db.insert(users).values([live, deleted]);
    const { pool } = handle;
    const seqScans = () => scansSoFar((text) => pool.query(text), 'users');
    await pool.query('begin');
    try {
      // Index pages priced a thousand times a sequential one: a plan left to the costs scans the table.
      await pool.query('set local random_page_cost = 1000');
      const before = await seqScans();
      const found = await readLiveUsers(pool, [live.id, deleted.id, randomUUID()]);
      expect((await seqScans()) - before).toBe(0);
      expect([...found]).toEqual([[live.id, { email: live.email, username: live.username, fullName: 'Ada Lovelace' }]]);
    } finally {
      await pool.query('rollback');
    }
  });
});
