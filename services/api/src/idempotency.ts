import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Type } from '@sinclair/typebox';
import { idempotencyKeys, type Database } from '@herald/db';
import { ApiError, violatedUniqueConstraint } from './errors';
import { PATTERN_MESSAGE } from './validation';

/** A drizzle transaction of the api's database. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** The optional `Idempotency-Key` request header: 1–200 visible ASCII characters. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '^[\\x21-\\x7E]+$',
      [PATTERN_MESSAGE]: 'must be visible ASCII characters only (no spaces)',
      description: 'Retrying with the same key and body replays the first response.',
    }),
  ),
});

/** A response as it is stored for replay. */
export interface StoredResponse<T> {
  statusCode: number;
  body: T;
}

/** What the request is, for matching a retry to the first attempt. */
export interface RequestIdentity {
  method: string;
  /** Path without the query string. */
  path: string;
  body: unknown;
}

/** JSON with object keys sorted at every level, so equal bodies hash equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** sha256 of method, path and canonical body. */
export function requestHash(request: RequestIdentity): string {
  return createHash('sha256')
    .update(`${request.method.toUpperCase()} ${request.path}\n${canonicalJson(request.body)}`)
    .digest('hex');
}

async function replay<T>(db: Database, key: string, hash: string): Promise<(StoredResponse<T> & { replayed: true }) | undefined> {
  const [row] = await db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
  if (!row) return undefined;
  if (row.requestHash !== hash) {
    throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was used with another request; use a new key.');
  }
  return { statusCode: row.statusCode, body: row.response as T, replayed: true };
}

/**
 * Runs `work` in one transaction with the record of its response under `key`, or replays the
 * response recorded for an earlier request with the same key. Without a key it just runs `work`
 * in a transaction. A failed `work` (a 409, say) records nothing, so a retry runs again.
 */
export async function withIdempotency<T>(
  db: Database,
  key: string | undefined,
  request: RequestIdentity,
  work: (tx: Transaction) => Promise<StoredResponse<T>>,
): Promise<StoredResponse<T> & { replayed: boolean }> {
  if (key === undefined) return { ...(await db.transaction(work)), replayed: false };
  const hash = requestHash(request);
  const earlier = await replay<T>(db, key, hash);
  if (earlier) return earlier;
  try {
    return await db.transaction(async (tx) => {
      // The key row comes first: a concurrent request with the same key waits on it until this
      // transaction ends, then fails on the primary key and replays what this one recorded.
      await tx.insert(idempotencyKeys).values({ key, requestHash: hash, statusCode: 0, response: {} });
      const result = await work(tx);
      await tx
        .update(idempotencyKeys)
        .set({ statusCode: result.statusCode, response: result.body })
        .where(eq(idempotencyKeys.key, key));
      return { ...result, replayed: false };
    });
  } catch (error) {
    if (violatedUniqueConstraint(error) === 'idempotency_keys_pkey') {
      const raced = await replay<T>(db, key, hash);
      if (raced) return raced;
    }
    throw error;
  }
}
