import { randomUUID } from 'node:crypto';
import { newEvent, UserCreated, type EventOf } from '@herald/contracts';

/**
 * A valid UserCreated for a user of its own: the address and username derive from the user's id,
 * a fresh uuid unless given, so tests running at once never read each other's emails.
 */
export function aUserCreated(options: { fullName?: string; userId?: string } = {}): EventOf<typeof UserCreated> {
  const userId = options.userId ?? randomUUID();
  return newEvent(UserCreated, {
    userId,
    email: `${userId}@example.com`,
    username: `u${userId.slice(0, 8)}`,
    fullName: options.fullName ?? 'Ada Lovelace',
    createdAt: new Date().toISOString(),
  });
}
