import type { Pool } from 'pg';
import { sql } from 'drizzle-orm';
import { users } from './schema';

/**
 * A user's personal data as columns to select, typed as present: select them only where
 * `deleted_at is null`, since the check `users_deleted_are_erased` holds a user not deleted to
 * every field (a deleted one has none).
 */
export const liveUserFields = {
  email: sql<string>`${users.email}`,
  username: sql<string>`${users.username}`,
  fullName: sql<string>`${users.fullName}`,
};

/** A user not deleted: what a message to them needs. */
export interface LiveUser {
  email: string;
  username: string;
  fullName: string;
}

/**
 * The users among `ids` that are not deleted, by id, in one primary-key lookup (`herald_live_users`,
 * migration 0015: planned on the key whatever the table's size). A deleted or unknown id is absent:
 * its personal data is erased, and nothing is to be sent to it.
 */
export async function readLiveUsers(pool: Pool, ids: readonly string[]): Promise<Map<string, LiveUser>> {
  const found = new Map<string, LiveUser>();
  if (ids.length === 0) return found;
  const { rows } = await pool.query<{ id: string; email: string; username: string; full_name: string }>({
    name: 'herald-live-users',
    text: 'select id, email, username, full_name from herald_live_users($1::uuid[])',
    values: [ids],
  });
  for (const row of rows) found.set(row.id, { email: row.email, username: row.username, fullName: row.full_name });
  return found;
}
