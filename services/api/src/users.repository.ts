import { and, eq, isNull, sql } from 'drizzle-orm';
import { newEvent, UserCreatedV2, UserDeleted } from '@herald/contracts';
import { executeNamed, idempotencyKeys, liveUserFields, notificationTimeline, outbox, users, type Database } from '@herald/db';
import { ApiError, violatedUniqueConstraint, type ErrorCode } from './errors';
import type { Transaction } from './idempotency';
import { appendToOutbox, outboxRow } from './outbox.repository';

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
 * Inserts the user and its UserCreated outbox row in one statement: atomic on its own, or part of
 * the caller's transaction when given one. One round trip instead of three (insert, insert,
 * commit) is most of what a signup costs the api. The caller wakes its relay after the commit.
 */
export async function createUser(db: Database | Transaction, user: User): Promise<void> {
  // The id only: whoever writes to the user reads their address and name from the row.
  const data = { userId: user.id, createdAt: user.createdAt.toISOString() };
  // The signup's event takes the user's id (and so does its correlation): deleteUser finds its
  // outbox row through the unique index on event_id, where an index on the key would cost every
  // signup a write.
  const created = { ...newEvent(UserCreatedV2, data, { correlationId: user.id }, user.createdAt), id: user.id };
  const row = outboxRow(UserCreatedV2, user.id, created);
  try {
    await executeNamed(db, 'herald-signup', sql`
      with created as (
        insert into ${users} (id, email, username, full_name, created_at)
        values (${user.id}, ${user.email}, ${user.username}, ${user.fullName}, ${user.createdAt.toISOString()})
        returning id
      )
      insert into ${outbox} (event_id, topic, key, payload, headers)
      select ${row.eventId}, ${row.topic}, ${row.key}, ${JSON.stringify(row.payload)}::jsonb, ${JSON.stringify(row.headers)}::jsonb
      from created`);
  } catch (error) {
    const taken = TAKEN[violatedUniqueConstraint(error) ?? ''];
    if (taken) throw new ApiError(taken.code, taken.message, { cause: error });
    throw error;
  }
}

/** The user with this id, unless it does not exist or was deleted. */
export async function findUser(db: Database, id: string): Promise<User | undefined> {
  const [row] = await db
    .select({ id: users.id, ...liveUserFields, createdAt: users.createdAt })
    .from(users)
    .where(and(eq(users.id, id), isNull(users.deletedAt)));
  return row;
}

/** True when a user with this id exists and is not deleted. */
export async function userIsLive(db: Database, id: string): Promise<boolean> {
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, id), isNull(users.deletedAt)));
  return row !== undefined;
}

/**
 * Deletes the user, erasing their personal data from the api's tables, and writes UserDeleted to
 * the outbox, in one transaction. False when there is no such user or it was deleted already.
 *
 * The row keeps its id and `deleted_at`, so that the id answers 404 and is never given out again.
 * Its erasure waits for a timeline insert that holds the row FOR SHARE (recordTimeline); the
 * deletions then run in a statement of their own, whose snapshot sees what that insert wrote.
 * They take the signup's UserCreated row from the outbox, published or not (not yet published,
 * nobody has heard of the user, and nothing is sent to them), the user's timeline, and the
 * signup responses kept for Idempotency-Key replays, which hold the email. UserDeleted then
 * makes the scheduler delete the user's follow-ups.
 */
export async function deleteUser(db: Database, id: string, now: Date): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(users)
      .set({ email: null, username: null, fullName: null, deletedAt: now })
      .where(and(eq(users.id, id), isNull(users.deletedAt)))
      .returning({ id: users.id });
    if (!row) return false;
    // idempotency_keys has no index on the response: this reads the keys of the last
    // IDEMPOTENCY_KEY_RETENTION (a day), which beats an index every keyed signup would write.
    await tx.execute(sql`
      with signup as (delete from ${outbox} where event_id = ${id}),
        timeline as (delete from ${notificationTimeline} where subject_id = ${id})
      delete from ${idempotencyKeys} where response ->> 'id' = ${id}`);
    await appendToOutbox(tx, UserDeleted, id, newEvent(UserDeleted, { userId: id, deletedAt: now.toISOString() }, undefined, now));
    return true;
  });
}
