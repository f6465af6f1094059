import { and, asc, count, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { Coalescer } from '@herald/consumer';
import { executeNamed, poolOf, scheduledMessages, type Database } from '@herald/db';
import { systemClock, type Clock } from './clock';

type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** The database or a transaction open on it: what the store's queries run on. */
export type DbExecutor = Database | Transaction;

/** A message to publish later. */
export interface ScheduleInput {
  /** Cancel-by-key handle: scheduling a key that is pending replaces the pending message. */
  scheduleKey: string;
  topic: string;
  /** The Kafka message key. */
  key: string;
  /** The message value, stored as JSON and published as JSON. */
  value: unknown;
  /** Kafka headers to publish with (trace context among them). */
  headers?: Readonly<Record<string, string>>;
  dueAt: Date;
}

/** What `schedule()` did. */
export interface ScheduleResult {
  /** Id of the pending row now holding the message. */
  id: bigint;
  dueAt: Date;
  /** True when a message pending under the same key was replaced. */
  replaced: boolean;
}

/** A pending message as the dispatcher sees it. */
export interface ScheduledMessage {
  id: bigint;
  scheduleKey: string;
  topic: string;
  key: string;
  value: unknown;
  headers: Record<string, string>;
  dueAt: Date;
}

/**
 * Narrows which rows a dispatcher claims. Production leaves it empty; tests use it so that test
 * files sharing the table do not claim each other's rows, and a partitioned deployment could give
 * each dispatcher its own slice of topics.
 */
export interface ClaimFilter {
  /** Only rows for one of these topics. */
  topics?: readonly string[];
  /** Only rows whose topic starts with this. */
  topicPrefix?: string;
  /** Only rows whose schedule key starts with this. */
  scheduleKeyPrefix?: string;
}

export interface ScheduledMessagesStoreOptions {
  /** Time used for `cancelled_at`; the dispatcher passes its own times explicitly. */
  clock?: Clock;
}

const columns = {
  id: scheduledMessages.id,
  scheduleKey: scheduledMessages.scheduleKey,
  topic: scheduledMessages.topic,
  key: scheduledMessages.messageKey,
  value: scheduledMessages.value,
  headers: scheduledMessages.headers,
  dueAt: scheduledMessages.dueAt,
};

const isPending = eq(scheduledMessages.state, 'pending');

/** One schedule() call waiting for its statement. */
interface ScheduleCall {
  input: ScheduleInput;
  activeUser: string | null;
}

/** What herald_schedule returned for a call; undefined when the active user was gone. */
type ScheduleCallResults = Map<ScheduleCall, { scheduled_id: string; replaced: boolean }>;

/** schedule() calls under way at once; what comes meanwhile goes together in the next statement. */
const SCHEDULE_STATEMENTS_IN_FLIGHT = 4;

/** A claimed row as the claim statement returns it (JSON: the id as text, the due time as a string). */
type ClaimedRow = Omit<ScheduledMessage, 'id' | 'dueAt'> & { id: string; dueAt: string };

/**
 * Durable delayed messages in the `scheduled_messages` table: schedule, replace and cancel by key,
 * and the take-publish-commit cycle of the dispatcher. At most one row per key is pending (the
 * partial unique index `scheduled_messages_pending_key`).
 */
export class ScheduledMessagesStore {
  readonly #db: DbExecutor;
  readonly #clock: Clock;
  #inTransaction = false;
  /** Told the due time of every message scheduled through this store, once it is committed. */
  readonly #listeners = new Set<(dueAt: Date) => void>();
  /** In a transaction: the due times scheduled so far, told to the listeners on commit. */
  #uncommitted: Date[] = [];
  /** Outside a transaction: the schedule() calls of one turn, in one statement and one commit. */
  readonly #calls: Coalescer<ScheduleCall, ScheduleCallResults> | undefined;

  constructor(db: DbExecutor, options: ScheduledMessagesStoreOptions = {}) {
    this.#db = db;
    this.#clock = options.clock ?? systemClock;
    // On a transaction, which has no pool, each call is a statement of its own on its connection.
    this.#calls = poolOf(db) && new Coalescer((calls) => this.#scheduleTogether(calls), 500, 0, SCHEDULE_STATEMENTS_IN_FLIGHT);
  }

  /** The database (or transaction) this store runs on, for reads that belong in the same transaction. */
  get db(): DbExecutor {
    return this.#db;
  }

  /** Runs `work` in one transaction with a store bound to it; commits when it resolves. */
  async transaction<T>(work: (store: ScheduledMessagesStore) => Promise<T>): Promise<T> {
    const uncommitted: Date[] = [];
    const result = await this.#db.transaction(async (tx) => {
      const bound = new ScheduledMessagesStore(tx, { clock: this.#clock });
      bound.#inTransaction = true;
      bound.#uncommitted = uncommitted;
      return work(bound);
    });
    for (const dueAt of uncommitted) this.#scheduled(dueAt);
    return result;
  }

  /**
   * Calls `listener` with the due time of every message scheduled through this store once it has
   * committed: how a dispatcher in the same process learns of a row due before it would look.
   * Returns what unsubscribes it.
   */
  onScheduled(listener: (dueAt: Date) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A message due at `dueAt` was scheduled: told now, or once the transaction it is in commits. */
  #scheduled(dueAt: Date): void {
    if (this.#inTransaction) this.#uncommitted.push(dueAt);
    else for (const listener of this.#listeners) listener(dueAt);
  }

  /**
   * Stores a message to publish at `dueAt`. A message pending under the same key is cancelled and
   * the new one inserted, in one transaction, and the store's listeners are told when it commits.
   * One call of the `herald_schedule` function (migrations 0004, 0011), in one statement with the
   * other calls of the same turn.
   */
  async schedule(input: ScheduleInput): Promise<ScheduleResult>;
  /**
   * With `activeUser`: the same, under a FOR SHARE lock on that user, or nothing (undefined) when
   * the user is deleted or unknown. A deletion committing meanwhile waits for this call, so its
   * cancellation always finds the row.
   */
  async schedule(input: ScheduleInput, activeUser: string): Promise<ScheduleResult | undefined>;
  async schedule(input: ScheduleInput, activeUser?: string): Promise<ScheduleResult | undefined> {
    if (input.scheduleKey.length === 0) throw new RangeError('scheduleKey must not be empty');
    if (Number.isNaN(input.dueAt.getTime()))
      throw new RangeError(`dueAt of ${input.scheduleKey} is not a valid date`);
    const call: ScheduleCall = { input, activeUser: activeUser ?? null };
    const row = (await (this.#calls ? this.#calls.add(call) : this.#scheduleTogether([call]))).get(call);
    if (!row) {
      if (activeUser !== undefined) return undefined;
      throw new Error(`scheduling ${input.scheduleKey} returned no row`);
    }
    this.#scheduled(input.dueAt);
    return { id: BigInt(row.scheduled_id), dueAt: input.dueAt, replaced: row.replaced };
  }

  /**
   * The calls of one turn in one statement (in a transaction, the one call): one round trip and
   * one commit for all of them, where each alone was a statement and a WAL flush of its own. They
   * run in the order they were made, so of two calls for one key the later one's message is the
   * one left pending, and in the order of their keys, so two statements under way at once lock
   * their rows in the same order and never deadlock. A failure fails them all, as it would have
   * failed each.
   */
  async #scheduleTogether(made: readonly ScheduleCall[]): Promise<ScheduleCallResults> {
    // A stable sort: calls for one key keep their order.
    const calls = [...made].sort((a, b) => (a.input.scheduleKey < b.input.scheduleKey ? -1 : a.input.scheduleKey > b.input.scheduleKey ? 1 : 0));
    const column = <T>(pick: (c: ScheduleCall) => T) => sql.param(calls.map(pick));
    const rows = await executeNamed<{ n: string; scheduled_id: string; replaced: boolean }>(this.#db, 'herald-schedule-together', sql`
      select t.n, s.scheduled_id, s.replaced
      from unnest(
        ${column((c) => c.input.scheduleKey)}::text[], ${column((c) => c.input.topic)}::text[],
        ${column((c) => c.input.key)}::text[], ${column((c) => JSON.stringify(c.input.value))}::jsonb[],
        ${column((c) => JSON.stringify({ ...c.input.headers }))}::jsonb[], ${column((c) => c.input.dueAt.toISOString())}::timestamptz[],
        ${column((c) => c.activeUser)}::uuid[])
        with ordinality as t(schedule_key, topic, message_key, value, headers, due_at, active_user, n)
      cross join lateral herald_schedule(t.schedule_key, t.topic, t.message_key, t.value, t.headers, t.due_at,
        ${this.#clock.now().toISOString()}::timestamptz, t.active_user) s
      order by t.n`);
    return new Map(rows.map((r) => [calls[Number(r.n) - 1]!, r]));
  }

  /** Cancels the message pending under `scheduleKey`; returns how many were cancelled (0 or 1). */
  async cancel(scheduleKey: string): Promise<number> {
    return this.#cancelWhere(eq(scheduledMessages.scheduleKey, scheduleKey));
  }

  /** Cancels every pending message whose key starts with `prefix` (`follow-up:<userId>`); returns the count. */
  async cancelByPrefix(prefix: string): Promise<number> {
    if (prefix.length === 0) throw new RangeError('cancelByPrefix needs a non-empty prefix');
    return this.#cancelWhere(sql`starts_with(${scheduledMessages.scheduleKey}, ${prefix})`);
  }

  /**
   * Deletes every row whose key starts with `prefix`, whatever its state: a deleted user's
   * follow-ups (`follow-up:<userId>`). What was pending is so cancelled. Returns how many rows
   * were pending.
   */
  async deleteByPrefix(prefix: string): Promise<number> {
    if (prefix.length === 0) throw new RangeError('deleteByPrefix needs a non-empty prefix');
    const rows = await this.#db
      .delete(scheduledMessages)
      .where(sql`starts_with(${scheduledMessages.scheduleKey}, ${prefix})`)
      .returning({ state: scheduledMessages.state });
    return rows.filter((row) => row.state === 'pending').length;
  }

  /**
   * Takes up to `limit` pending rows due at `now`, oldest due first, skipping rows another
   * dispatcher holds: they are locked and marked dispatched as of `now` in one statement, so a
   * row is written once. Only inside `transaction()`: its commit makes the take final, and a
   * rollback (a failed publish, a crash) leaves the rows pending as they were.
   */
  async claimDue(now: Date, limit: number, filter: ClaimFilter = {}): Promise<ScheduledMessage[]> {
    return (await this.claimBatch(now, limit, filter)).rows;
  }

  /**
   * `claimDue`, plus the due time of the earliest pending row it did not take (null when there is
   * none), in the same statement: a dispatcher learns when to look again without another query.
   * That time is `now` or earlier when another dispatcher holds a due row.
   */
  async claimBatch(now: Date, limit: number, filter: ClaimFilter = {}): Promise<{ rows: ScheduledMessage[]; next: Date | null }> {
    if (!this.#inTransaction)
      throw new Error('claimDue must run inside ScheduledMessagesStore.transaction()');
    // herald_take_due (migration 0013): the take planned on the pending rows' index, whatever the
    // statistics say.
    const { rows } = await this.#db.execute<{ taken: ClaimedRow[]; next_due: string | null }>(sql`
      select taken, next_due from herald_take_due(
        ${now.toISOString()}::timestamptz, ${limit}::int, ${filter.topics ? sql.param([...filter.topics]) : null}::text[],
        ${filter.topicPrefix ?? null}::text, ${filter.scheduleKeyPrefix ?? null}::text)`);
    const [result] = rows;
    return {
      rows: (result?.taken ?? []).map((r) => ({ ...r, id: BigInt(r.id), dueAt: new Date(r.dueAt) })),
      next: result?.next_due ? new Date(result.next_due) : null,
    };
  }

  /**
   * Cancels rows this transaction took (the dispatcher's answer to a row it must not publish) as
   * of `at`; returns how many were.
   */
  async cancelClaimed(ids: readonly bigint[], at: Date): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.#db.execute(sql`
      update ${scheduledMessages}
      set state = 'cancelled', cancelled_at = ${at.toISOString()}::timestamptz, dispatched_at = null
      where state = 'dispatched' and id = any(${sql.param(ids.map(String))}::bigint[])`);
    return result.rowCount ?? 0;
  }

  /** Number of pending rows. */
  async pendingCount(filter: ClaimFilter = {}): Promise<number> {
    const [row] = await this.#db
      .select({ n: count() })
      .from(scheduledMessages)
      .where(and(isPending, ...filterConditions(filter)));
    return row?.n ?? 0;
  }

  /** Every row ever stored under `scheduleKey`, oldest first, whatever its state. */
  async history(scheduleKey: string) {
    return this.#db
      .select({
        ...columns,
        state: scheduledMessages.state,
        dispatchedAt: scheduledMessages.dispatchedAt,
        cancelledAt: scheduledMessages.cancelledAt,
      })
      .from(scheduledMessages)
      .where(eq(scheduledMessages.scheduleKey, scheduleKey))
      .orderBy(asc(scheduledMessages.id));
  }

  async #cancelWhere(condition: SQL): Promise<number> {
    const rows = await this.#db
      .update(scheduledMessages)
      .set({ state: 'cancelled', cancelledAt: this.#clock.now() })
      .where(and(isPending, condition))
      .returning({ id: scheduledMessages.id });
    return rows.length;
  }
}

function filterConditions(filter: ClaimFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.topics) conditions.push(inArray(scheduledMessages.topic, [...filter.topics]));
  if (filter.topicPrefix)
    conditions.push(sql`starts_with(${scheduledMessages.topic}, ${filter.topicPrefix})`);
  if (filter.scheduleKeyPrefix) {
    conditions.push(
      sql`starts_with(${scheduledMessages.scheduleKey}, ${filter.scheduleKeyPrefix})`,
    );
  }
  return conditions;
}
