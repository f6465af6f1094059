import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { openDatabase, type DatabaseHandle } from '@herald/db';
import { createKafka } from '@herald/kafka';
import { createLogger } from '@herald/service-kit';
import { infrastructure } from '@herald/testing';
import { ApiKeyStore } from './api-keys';
import { buildApp, type App, type AppDependencies } from './app';
import { ADMIN_TOKEN, matching, newSignup, type ErrorResponseBody } from './app.fixture';

const anyDate: unknown = expect.any(Date);

// Integration: keys, scopes, rate limits and revocation through app.inject() on the real PostgreSQL.
describe('access', () => {
  const tag = `access-${randomBytes(4).toString('hex')}`;
  let database: DatabaseHandle;
  let store: ApiKeyStore;
  const apps: App[] = [];

  const appWith = async (deps: Partial<AppDependencies> = {}): Promise<App> => {
    const kafkaAdmin = createKafka({ clientId: 'access-test', brokers: infrastructure().kafkaBrokers }).admin();
    const app = await buildApp({ logger: createLogger('api-test', 'silent'), database, kafkaAdmin, adminToken: ADMIN_TOKEN, ...deps });
    apps.push(app);
    return app;
  };
  const signup = (app: App, authorization?: string) =>
    app.inject({ method: 'POST', url: '/api/v1/users', payload: newSignup(), headers: authorization ? { authorization } : {} });

  beforeAll(() => {
    database = openDatabase(infrastructure().databaseUrl);
    store = new ApiKeyStore(database.db);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database.db.execute(sql`delete from api_keys where name like ${`${tag}%`}`);
    await database.close();
  });

  describe('ApiKeyStore', () => {
    it('keeps only the digest of a key, and lists keys without it', async () => {
      const { id, key } = await store.create(`${tag} kept`, ['signup', 'signup']);
      expect(key).toMatch(new RegExp(`^hk_${id}_[A-Za-z0-9_-]{43}$`));
      const rows = await database.db.execute(sql`select * from api_keys where id = ${id}`);
      expect(JSON.stringify(rows.rows)).not.toContain(key.slice(-43));
      const listed = (await store.list()).find((k) => k.id === id);
      expect(listed).toEqual({ id, name: `${tag} kept`, scopes: ['signup'], createdAt: anyDate, revokedAt: null });
      expect(JSON.stringify(listed)).not.toContain(key.slice(-43));
    });

    it('tells a right key from a wrong secret, a malformed key and a revoked one', async () => {
      const { id, key } = await store.create(`${tag} checked`, ['admin']);
      expect(await store.verify(key)).toEqual({ ok: true, id, scopes: ['admin'] });
      const wrong = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
      expect(await store.verify(wrong)).toEqual({ ok: false, id, reason: 'unknown' });
      expect(await store.verify(`${key}x`)).toEqual({ ok: false, reason: 'malformed' });
      expect(await store.revoke(id)).toBe(true);
      expect(await store.revoke(id)).toBe(false);
      expect(await store.verify(key)).toEqual({ ok: false, id, reason: 'revoked' });
    });

    it('trusts a key it found for its cache time, then asks the database again', async () => {
      let now = 0;
      const cached = new ApiKeyStore(database.db, 1000, () => now);
      const { id, key } = await store.create(`${tag} cached`, ['signup']);
      expect((await cached.verify(key)).ok).toBe(true);
      await store.revoke(id); // another process, as the CLI is
      now = 999;
      expect((await cached.verify(key)).ok).toBe(true);
      now = 1000;
      expect(await cached.verify(key)).toEqual({ ok: false, id, reason: 'revoked' });
    });
  });

  it('lets a signup key sign up, and refuses it everything else with 403', async () => {
    const app = await appWith();
    const { key } = await store.create(`${tag} shop`, ['signup']);
    const created = await signup(app, `Bearer ${key}`);
    expect(created.statusCode).toBe(201);
    const read = await app.inject({ method: 'GET', url: `/api/v1/users/${created.json<{ id: string }>().id}`, headers: { authorization: `Bearer ${key}` } });
    expect(read.statusCode).toBe(403);
    expect(read.json<ErrorResponseBody>()).toEqual({ error: 'forbidden', message: matching(/admin scope/) });
  });

  it('stops honouring a revoked key within API_KEY_CACHE_MS', async () => {
    const app = await appWith({ keys: new ApiKeyStore(database.db, 200) });
    const { id, key } = await store.create(`${tag} revoked`, ['signup']);
    expect((await signup(app, `Bearer ${key}`)).statusCode).toBe(201);
    await store.revoke(id);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const refused = await signup(app, `Bearer ${key}`);
    expect(refused.statusCode).toBe(401);
    expect(refused.json<ErrorResponseBody>().message).toBe('This API key was revoked.');
  });

  it('limits signups a key may make a minute: 429 with Retry-After, and nothing written', async () => {
    const app = await appWith({ signupRateLimits: { perKey: 2, perAddress: 100 } });
    const { key } = await store.create(`${tag} limited`, ['signup']);
    const other = await store.create(`${tag} other`, ['signup']);
    expect((await signup(app, `Bearer ${key}`)).statusCode).toBe(201);
    expect((await signup(app, `Bearer ${key}`)).statusCode).toBe(201);
    const body = newSignup();
    const limited = await app.inject({ method: 'POST', url: '/api/v1/users', payload: body, headers: { authorization: `Bearer ${key}` } });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json<ErrorResponseBody>().error).toBe('too_many_requests');
    const written = await database.db.execute(sql`select 1 from users where email = ${body.email}`);
    expect(written.rows).toHaveLength(0);
    // Each key has its own budget.
    expect((await signup(app, `Bearer ${other.key}`)).statusCode).toBe(201);
  });

  it('with SIGNUP_OPEN takes signups without a credential, limited per address, and still refuses a wrong key', async () => {
    const app = await appWith({ signupOpen: true, signupRateLimits: { perKey: 100, perAddress: 2 } });
    expect((await signup(app)).statusCode).toBe(201);
    expect((await signup(app)).statusCode).toBe(201);
    const limited = await signup(app);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await signup(app, 'Bearer not-a-key')).statusCode).toBe(401);
    const read = await app.inject({ method: 'GET', url: '/api/v1/users/00000000-0000-4000-8000-000000000000' });
    expect(read.statusCode).toBe(401);
  });

  it('logs every refused call with its reason and key id, never the key', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = await appWith({ logger: pino({ level: 'info' }, sink) });
    const { id, key } = await store.create(`${tag} logged`, ['signup']);
    await app.inject({ method: 'POST', url: '/api/v1/alerts', payload: { message: 'x', severity: 'info' }, headers: { authorization: `Bearer ${key}` } });
    await app.inject({ method: 'GET', url: `/api/v1/users/${randomUUID()}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });
    const refusals = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'request refused');
    expect(refusals).toEqual([
      expect.objectContaining({ refusal: 'scope', keyId: id, route: '/api/v1/alerts', method: 'POST' }),
      expect.objectContaining({ refusal: 'malformed', route: '/api/v1/users/:id', method: 'GET' }),
    ]);
    expect(lines.join('')).not.toContain(key.slice(-43));
    expect(lines.join('')).not.toContain(ADMIN_TOKEN);
  });
});
