import { sql } from 'drizzle-orm';
import { infrastructure } from '@herald/testing';
import { openDatabase } from './client';
import { executeNamed } from './named-statement';

// Integration: the real PostgreSQL. One connection, so the statements prepared on it can be read.
describe('executeNamed', () => {
  const handle = openDatabase(infrastructure().databaseUrl, { max: 1 });
  afterAll(() => handle.close());
  const prepared = async () => (await handle.pool.query<{ name: string }>('select name from pg_prepared_statements')).rows.map((r) => r.name);

  it('runs a query on the pool as a named prepared statement, once parsed for every call', async () => {
    const doubled = (n: number) => executeNamed<{ n: number }>(handle.db, 'herald-test-doubled', sql`select ${sql.param([n, n])}::int[] as n`);
    expect(await doubled(2)).toEqual([{ n: [2, 2] }]);
    expect(await doubled(3)).toEqual([{ n: [3, 3] }]);
    expect(await prepared()).toContain('herald-test-doubled');
  });

  it('runs it through drizzle on the connection of a transaction, unprepared', async () => {
    const rows = await handle.db.transaction((tx) => executeNamed<{ n: number }>(tx, 'herald-test-in-transaction', sql`select ${4}::int as n`));
    expect(rows).toEqual([{ n: 4 }]);
    expect(await prepared()).not.toContain('herald-test-in-transaction');
  });
});
