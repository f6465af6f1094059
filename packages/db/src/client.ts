import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { Pool, type PoolConfig } from 'pg';
import * as schema from './schema';

export type Database = NodePgDatabase<typeof schema>;

/** A pool and the drizzle database over it. Close the pool on shutdown. */
export interface DatabaseHandle {
  db: Database;
  pool: Pool;
  close(): Promise<void>;
}

/**
 * Opens a connection pool to `url` (postgres://user:password@host:port/database).
 *
 * Every session is bounded: a statement runs at most 30 s (statement_timeout) and a transaction
 * may sit idle at most 60 s (idle_in_transaction_session_timeout; longer than the 30 s a
 * dispatcher or relay round may wait on Kafka inside its transaction), so a stuck client never
 * holds locks or a connection for good. A checkout waits at most 5 s for a free connection.
 */
export function openDatabase(url: string, options: Omit<PoolConfig, 'connectionString'> = {}): DatabaseHandle {
  const pool = new Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 30_000,
    idle_in_transaction_session_timeout: 60_000,
    application_name: options.application_name ?? 'herald',
    ...options,
  });
  // A connection that PostgreSQL ends (a restart sends FATAL 57P01 to each) emits 'error': an
  // idle one on the pool, a checked-out one between two of its queries (a transaction waiting for
  // Kafka) on the client itself, where nobody else listens. Unheard, either ends the process. The
  // client's next query fails instead and the pool discards it; new queries get fresh connections.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}

/** True when the database answers a trivial query within `timeoutMs`. */
export async function databaseReachable(pool: Pool, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      pool.query('select 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
