import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import type { DatabaseHandle } from '@herald/db';
import { Coalescer, LookupCoalescer } from './coalescer';
import { stringHeaders } from './kafka-headers';

/** What processed_events says of an event for one group. */
export interface Mark {
  outcome: 'handled' | 'retried' | 'dead-lettered';
  /** For 'retried': the attempt waiting in a retry topic. */
  attempt: number | null;
}

/** A message a settled event owes Kafka. */
export interface OwedMessage {
  topic: string;
  message: Message;
}

/** Owed messages as written: a row of consumer_outbox. */
export interface OwedRow {
  id: string;
  messages: OwedMessage[];
}

type Bytes = { text: string } | { base64: string } | null;

interface StoredMessage {
  topic: string;
  key: Bytes;
  value: Bytes;
  headers: Record<string, string>;
}

type Write = { kind: 'settle'; eventId: string; mark: Mark; owed?: OwedRow } | { kind: 'deletions' };

/** Settle writes under way at once: a settle never waits for a whole write before its own goes. */
const SETTLE_WRITES_IN_FLIGHT = 4;
/**
 * How long a settle waits for the others of its fetch. The attempts of one fetch end within a few
 * milliseconds of each other; gathered, they are one statement and one commit instead of several.
 * It is also time added to the settle window, in which a crash repeats a side effect: kept well
 * inside the window's own median under load (10-50 ms).
 */
const SETTLE_LINGER_MS = 5;
/** Longest an owed row that went out waits for a settle write to carry its deletion. */
const DELETION_LINGER_MS = 1000;

function storeBytes(value: Buffer | string | null | undefined): Bytes {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? { text: value } : { base64: value.toString('base64') };
}

function loadBytes(value: Bytes): Buffer | string | null {
  if (value === null) return null;
  return 'text' in value ? value.text : Buffer.from(value.base64, 'base64');
}

function storeMessage({ topic, message }: OwedMessage): StoredMessage {
  return { topic, key: storeBytes(message.key), value: storeBytes(message.value), headers: stringHeaders(message.headers) };
}

function loadMessage(stored: StoredMessage): OwedMessage {
  return { topic: stored.topic, message: { key: loadBytes(stored.key), value: loadBytes(stored.value), headers: stored.headers } };
}

/**
 * processed_events and consumer_outbox for one consumer group: the once-per-group record.
 *
 * `settle` writes an event's outcome and what it owes Kafka in one statement, with those of every
 * other event settling within SETTLE_LINGER_MS, and with the deletions of owed rows published
 * since: one round trip for a batch of outcomes and publications.
 *
 * Up to SETTLE_WRITES_IN_FLIGHT settle writes are under way at a time (PostgreSQL flushes
 * concurrent commits together): the time from a side effect to its record, in which a crash
 * repeats it, is then the linger and one round trip, not the wait for a whole write. Deletions never
 * start a write of their own while settles keep coming: they ride with the next, or go alone
 * after DELETION_LINGER_MS.
 */
export class ProcessedStore {
  private readonly lookups = new LookupCoalescer<string, Mark>((ids) => this.lookUp(ids));
  private readonly writes: Coalescer<Write>;
  /** Owed rows that went out, to delete with the next write. */
  private deletions: string[] = [];
  private deletionTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly database: DatabaseHandle,
    private readonly groupId: string,
  ) {
    // Past SETTLE_WRITES_IN_FLIGHT, what settles meanwhile goes in the next write (a group
    // commit), so under load the batches grow, not the statements competing for PostgreSQL's cores.
    this.writes = new Coalescer((items) => this.write(items), 500, SETTLE_LINGER_MS, SETTLE_WRITES_IN_FLIGHT);
  }

  /** The marks of these events, asked together with the other lookups of this turn. */
  marksOf(eventIds: readonly string[]): Promise<Map<string, Mark>> {
    return this.lookups.ask(eventIds);
  }

  /**
   * Records an event's outcome and the messages it owes, durably, in one write: once it resolves
   * the event is never handled again by this group, and what it owes is published by this process
   * or, if this one stops first, by the group's next. Returns the owed row, if any.
   */
  async settle(eventId: string, mark: Mark, messages: readonly OwedMessage[]): Promise<OwedRow | undefined> {
    const owed = messages.length > 0 ? { id: randomUUID(), messages: [...messages] } : undefined;
    await this.writes.add(owed ? { kind: 'settle', eventId, mark, owed } : { kind: 'settle', eventId, mark });
    return owed;
  }

  /** The owed row went out; its deletion rides with a later write. Its failure is harmless. */
  published(id: string): void {
    this.deletions.push(id);
    this.deletionTimer ??= setTimeout(() => {
      this.deletionTimer = undefined;
      if (this.deletions.length > 0) this.writes.add({ kind: 'deletions' }).catch(() => undefined);
    }, DELETION_LINGER_MS).unref();
  }

  /** Deletes now the owed rows that went out (a stop: the next consumer's sweep would send them again). */
  async flushDeletions(): Promise<void> {
    clearTimeout(this.deletionTimer);
    this.deletionTimer = undefined;
    if (this.deletions.length > 0) await this.writes.add({ kind: 'deletions' });
  }

  /**
   * Publishes owed rows older than `olderThanMs` (left by a process that stopped or crashed before
   * publishing them) with `publish`, then deletes them, in one transaction that locks them (SKIP
   * LOCKED: two consumers of the group never take the same rows). Returns how many it published.
   */
  async publishLeftOver(olderThanMs: number, excluding: readonly string[], publish: (rows: OwedRow[]) => Promise<void>): Promise<number> {
    const client = await this.database.pool.connect();
    let broken = false;
    try {
      await client.query('begin');
      const { rows } = await client.query<{ id: string; messages: StoredMessage[] }>({
        name: 'herald-consumer-outbox-left-over',
        text: `select id, messages from consumer_outbox
               where consumer_group = $1 and created_at < now() - $2 * interval '1 millisecond' and id <> all($3::uuid[])
               order by created_at limit 500 for update skip locked`,
        values: [this.groupId, olderThanMs, excluding],
      });
      if (rows.length > 0) {
        await publish(rows.map((r) => ({ id: r.id, messages: r.messages.map(loadMessage) })));
        await client.query({ name: 'herald-consumer-outbox-delete', text: 'delete from consumer_outbox where id = any($1::uuid[])', values: [rows.map((r) => r.id)] });
      }
      await client.query('commit');
      return rows.length;
    } catch (error) {
      await client.query('rollback').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async lookUp(eventIds: readonly string[]): Promise<Map<string, Mark>> {
    // Plain prepared statements on the hot path: parsed once per connection, no query builder.
    const { rows } = await this.database.pool.query<{ event_id: string; outcome: Mark['outcome']; attempt: number | null }>({
      name: 'herald-processed-marks-of',
      text: `select event_id, outcome, attempt from processed_events where consumer_group = $1 and event_id = any($2::text[])`,
      values: [this.groupId, eventIds],
    });
    return new Map(rows.map((r) => [r.event_id, { outcome: r.outcome, attempt: r.attempt }]));
  }

  private async write(writes: readonly Write[]): Promise<void> {
    // One mark an event (the last word wins): an upsert may not touch a row twice.
    const marks = new Map<string, Mark>();
    const owed: { id: string; eventId: string; messages: StoredMessage[] }[] = [];
    const published = this.deletions.splice(0);
    for (const w of writes) {
      if (w.kind === 'deletions') continue;
      marks.set(w.eventId, w.mark);
      if (w.owed) owed.push({ id: w.owed.id, eventId: w.eventId, messages: w.owed.messages.map(storeMessage) });
    }
    if (marks.size === 0 && published.length === 0) return;
    // Every data-modifying part of a WITH runs to completion whether or not it is read.
    try {
      await this.database.pool.query({
        name: 'herald-processed-settle',
        text: `with marked as (
                 insert into processed_events (consumer_group, event_id, outcome, attempt)
                 select $1, e, o, a from unnest($2::text[], $3::text[], $4::int[]) as t(e, o, a)
                 on conflict (consumer_group, event_id)
                 do update set outcome = excluded.outcome, attempt = excluded.attempt, processed_at = now()
                 returning 1),
               owed as (
                 insert into consumer_outbox (id, consumer_group, event_id, messages)
                 select i, $1, e, m from unnest($5::uuid[], $6::text[], $7::jsonb[]) as t(i, e, m)
                 returning 1),
               sent as (delete from consumer_outbox where id = any($8::uuid[]) returning 1)
               select 1`,
        values: [
          this.groupId,
          [...marks.keys()],
          [...marks.values()].map((m) => m.outcome),
          [...marks.values()].map((m) => m.attempt),
          owed.map((o) => o.id),
          owed.map((o) => o.eventId),
          owed.map((o) => JSON.stringify(o.messages)),
          published,
        ],
      });
    } catch (error) {
      // Not deleted: they go with a later write.
      this.deletions.push(...published);
      throw error;
    }
  }
}
