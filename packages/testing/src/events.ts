import { randomUUID } from 'node:crypto';
import { newEvent, UserCreatedV2, type EventOf } from '@herald/contracts';
import type { SqlQuery } from './erasure';

/** A user as a test signs them up: their personal data, and the UserCreated event naming them. */
export interface TestSignup {
  userId: string;
  email: string;
  username: string;
  fullName: string;
  event: EventOf<typeof UserCreatedV2>;
}

/**
 * A valid UserCreated (v2) for a user of its own, a fresh uuid unless given. It carries the id
 * only: a handler that reads the user finds nobody unless the user was written (`aSignup`).
 */
export function aUserCreated(options: { userId?: string } = {}): EventOf<typeof UserCreatedV2> {
  return newEvent(UserCreatedV2, { userId: options.userId ?? randomUUID(), createdAt: new Date().toISOString() });
}

/**
 * A user written to `users` as a signup writes them (not through the api, and with no outbox
 * row), and their UserCreated event to publish: email and Slack read the address and name from the
 * row. The address and username derive from the user's id, so tests running at once never read
 * each other's emails.
 */
export async function aSignup(query: SqlQuery, options: { fullName?: string; userId?: string } = {}): Promise<TestSignup> {
  const event = aUserCreated(options);
  const { userId, createdAt } = event.data;
  const signup = { userId, email: `${userId}@example.com`, username: `u${userId.slice(0, 8)}`, fullName: options.fullName ?? 'Ada Lovelace', event };
  await query('insert into users (id, email, username, full_name, created_at) values ($1, $2, $3, $4, $5)', [
    userId,
    signup.email,
    signup.username,
    signup.fullName,
    createdAt,
  ]);
  return signup;
}
