import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { desc, eq, isNull, and } from 'drizzle-orm';
import { apiKeys, type Database } from '@herald/db';

/** What a credential may do. `admin` may do everything; `signup` only POST /api/v1/users. */
export const SCOPES = ['signup', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (text: string): text is Scope => (SCOPES as readonly string[]).includes(text);

/** A key as `list` shows it: never the secret, which exists only in the answer to `create`. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: Date;
  revokedAt: Date | null;
}

/** `hk_<16 hex id>_<43 base64url secret>`: the id finds the row, the secret proves the caller. */
const KEY_FORMAT = /^hk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Why a presented key was refused; logged (never the key) and told to the caller. */
export type KeyRefusal = 'malformed' | 'unknown' | 'revoked';

export type KeyCheck = { ok: true; id: string; scopes: Scope[] } | { ok: false; id?: string; reason: KeyRefusal };

interface StoredKey {
  scopes: Scope[];
  secretSha256: Buffer;
  revoked: boolean;
}

/**
 * The api's keys in PostgreSQL (table api_keys). Verification caches each key it found for
 * `cacheMs`, so that a signup does not cost a query; a revocation takes effect within that time.
 * Keys not found are not cached: a caller trying random ids costs one primary-key lookup each,
 * and the rate limit bounds how many.
 */
export class ApiKeyStore {
  private readonly cache = new Map<string, { key: StoredKey; until: number }>();

  constructor(
    private readonly db: Database,
    private readonly cacheMs = 1000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Makes a key; its text is returned once and kept nowhere. */
  async create(name: string, scopes: readonly Scope[]): Promise<{ id: string; key: string }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    await this.db.insert(apiKeys).values({ id, name, scopes: [...new Set(scopes)], secretSha256: sha256(secret).toString('hex') });
    return { id, key: `hk_${id}_${secret}` };
  }

  async list(): Promise<ApiKeyInfo[]> {
    const rows = await this.db
      .select({ id: apiKeys.id, name: apiKeys.name, scopes: apiKeys.scopes, createdAt: apiKeys.createdAt, revokedAt: apiKeys.revokedAt })
      .from(apiKeys)
      .orderBy(desc(apiKeys.createdAt));
    return rows.map((row) => ({ ...row, scopes: row.scopes.filter(isScope) }));
  }

  /** Whether a key that was not revoked yet is revoked now. */
  async revoke(id: string): Promise<boolean> {
    const revoked = await this.db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    this.cache.delete(id);
    return revoked.length > 0;
  }

  /** Checks a presented key; the secret is compared as a sha256 digest in constant time. */
  async verify(presented: string): Promise<KeyCheck> {
    const match = KEY_FORMAT.exec(presented);
    if (!match?.[1] || !match[2]) return { ok: false, reason: 'malformed' };
    const id = match[1];
    const key = await this.find(id);
    if (!key || !timingSafeEqual(sha256(match[2]), key.secretSha256)) return { ok: false, id, reason: 'unknown' };
    if (key.revoked) return { ok: false, id, reason: 'revoked' };
    return { ok: true, id, scopes: key.scopes };
  }

  private async find(id: string): Promise<StoredKey | undefined> {
    const now = this.clock();
    const cached = this.cache.get(id);
    if (cached && cached.until > now) return cached.key;
    const [row] = await this.db
      .select({ scopes: apiKeys.scopes, secretSha256: apiKeys.secretSha256, revokedAt: apiKeys.revokedAt })
      .from(apiKeys)
      .where(eq(apiKeys.id, id));
    if (!row) {
      this.cache.delete(id);
      return undefined;
    }
    const key = { scopes: row.scopes.filter(isScope), secretSha256: Buffer.from(row.secretSha256, 'hex'), revoked: row.revokedAt !== null };
    if (this.cacheMs > 0) this.cache.set(id, { key, until: now + this.cacheMs });
    return key;
  }
}
