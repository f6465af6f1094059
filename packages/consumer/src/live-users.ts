import { readLiveUsers, type DatabaseHandle, type LiveUser } from '@herald/db';
import { LookupCoalescer } from './coalescer';
import type { HandlerContext } from './handler';

/**
 * The live user an event names, for handlers that write to them: events carry a user's id, never
 * their address or name, so erasing the `users` row erases them everywhere. The handlers of one
 * fetch ask within one turn of the event loop, and their ids go to PostgreSQL in one primary-key
 * lookup, not a query each.
 */
export class LiveUsers {
  private readonly lookups: LookupCoalescer<string, LiveUser>;

  constructor(database: Pick<DatabaseHandle, 'pool'>) {
    this.lookups = new LookupCoalescer((ids) => readLiveUsers(database.pool, ids));
  }

  /** The user, or undefined when they were deleted (or never were): nothing is owed to them. */
  async get(userId: string): Promise<LiveUser | undefined> {
    return (await this.lookups.ask([userId])).get(userId);
  }

  /** The user the handler's event names, or undefined once the event is skipped: the user is gone. */
  async forEvent(ctx: Pick<HandlerContext, 'skip'>, userId: string): Promise<LiveUser | undefined> {
    const user = await this.get(userId);
    if (!user) ctx.skip('user deleted');
    return user;
  }
}
