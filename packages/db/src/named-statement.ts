import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Pool, QueryResultRow } from 'pg';
import type { Database } from './client';

const dialect = new PgDialect();

/** The pool under a drizzle database, or undefined for a transaction (it has a connection, no pool). */
export function poolOf(db: object): Pool | undefined {
  return (db as { $client?: Pool }).$client;
}

/**
 * Runs `query` as the named prepared statement `name` when `db` is a pool's database, parsed and
 * planned once a connection; drizzle's `execute` sends it unnamed, parsed and planned on every
 * call (a quarter of the signup statement's time). On a transaction, which has no pool of its
 * own, it runs through drizzle on the transaction's connection. `query` must render the same
 * text on every call: values only as parameters, arrays as one `sql.param`.
 */
export async function executeNamed<T extends QueryResultRow>(db: Pick<Database, 'execute'>, name: string, query: SQL): Promise<T[]> {
  const pool = poolOf(db);
  if (!pool) return (await db.execute<T>(query)).rows as T[];
  const { sql: text, params } = dialect.sqlToQuery(query);
  return (await pool.query<T>({ name, text, values: params })).rows;
}
