import { and, eq, isNull, sql } from 'drizzle-orm';
import { newEvent, UserCreated, UserDeleted } from '@herald/contracts';
import { outbox, users, type Database } from '@herald/db';
import { ApiError, violatedUniqueConstraint, type ErrorCode } from './errors';
import type { Transaction } from './idempotency';
import { appendToOutbox, OUTBOX_CHANNEL, outboxRow } from './outbox.repository';

/** A user as the api stores and returns it. */
export interface User {
  id: string;
  email: string;
  username: string;
  fullName: string;
  createdAt: Date;
}

// The unique indexes on lower(email) and lower(username), and what a clash with each means.
const TAKEN: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  users_email_key: { code: 'email_taken', message: 'A user with this email already exists.' },
  users_username_key: { code: 'username_taken', message: 'This username is taken.' },
};

/**
 * Inserts the user and its UserCreated outbox row, and wakes the relay, in one statement: atomic
 * on its own, or part of the caller's transaction when given one. One round trip instead of four
 * (insert, insert, notify, commit) is most of what a signup costs the api.
 */
export async function createUser(db: Database | Transaction, user: User): Promise<void> {
  const data = {
    userId: user.id,
    email: user.email,
    username: user.username,
    fullName: user.fullName,
    createdAt: user.createdAt.toISOString(),
  };
  const row = outboxRow(UserCreated, user.id, newEvent(UserCreated, data, undefined, user.createdAt));
  try {
    await db.execute(sql`
      with created as (
        insert into ${users} (id, email, username, full_name, created_at)
        values (${user.id}, ${user.email}, ${user.username}, ${user.fullName}, ${user.createdAt.toISOString()})
        returning id
      ), queued as (
        insert into ${outbox} (event_id, topic, key, payload, headers)
        select ${row.eventId}, ${row.topic}, ${row.key}, ${JSON.stringify(row.payload)}::jsonb, ${JSON.stringify(row.headers)}::jsonb
        from created
        returning id
      )
      select pg_notify(${OUTBOX_CHANNEL}, '') from queued`);
  } catch (error) {
    const taken = TAKEN[violatedUniqueConstraint(error) ?? ''];
    if (taken) throw new ApiError(taken.code, taken.message, { cause: error });
    throw error;
  }
}

/** The user with this id, unless it does not exist or was deleted. */
export async function findUser(db: Database, id: string): Promise<User | undefined> {
  const [row] = await db
    .select({
      id: users.id,
      email: users.email,
      username: users.username,
      fullName: users.fullName,
      createdAt: users.createdAt,
    })
    .from(users)
    .where(and(eq(users.id, id), isNull(users.deletedAt)));
  return row;
}

/** True when a user with this id was ever created, deleted or not. */
export async function userExists(db: Database, id: string): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.id, id));
  return row !== undefined;
}

/**
 * Marks the user deleted and writes UserDeleted to the outbox in one transaction.
 * False when there is no such user or it was deleted already.
 */
export async function deleteUser(db: Database, id: string, now: Date): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(users)
      .set({ deletedAt: now })
      .where(and(eq(users.id, id), isNull(users.deletedAt)))
      .returning({ id: users.id });
    if (!row) return false;
    await appendToOutbox(tx, UserDeleted, id, newEvent(UserDeleted, { userId: id, deletedAt: now.toISOString() }, undefined, now));
    return true;
  });
}
