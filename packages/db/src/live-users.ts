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
