import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { assertEvent, Headers, UserCreatedV2, UserDeleted } from '@herald/contracts';
import { idempotencyKeys, openDatabase, outbox, users } from '@herald/db';
import { ADMIN_TOKEN, anyString, matching, newSignup, testApp, type ErrorResponseBody, type UserBody } from './app.fixture';
import { infrastructure } from '@herald/testing';

// Integration: through app.inject() against the real PostgreSQL.
describe('users', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t.close());

  const signup = (body: unknown, headers: Record<string, string> = {}) =>
    t.asAdmin({ method: 'POST', url: '/api/v1/users', payload: body as object, headers });
  const outboxOf = (key: string) => t.database.db.select().from(outbox).where(eq(outbox.key, key)).orderBy(outbox.id);

  describe('POST /api/v1/users', () => {
    it('creates the user at once with its UserCreated outbox row, naming them by id only, in one transaction', async () => {
      const input = newSignup();
      const response = await signup(input);
      expect(response.statusCode).toBe(201);
      const user = response.json<UserBody>();
      expect(user).toEqual({ ...input, id: anyString, created_at: anyString });
      expect(new Date(user.created_at).toISOString()).toBe(user.created_at);

      const [row] = await outboxOf(user.id);
      expect(row).toMatchObject({ topic: UserCreatedV2.name, key: user.id, publishedAt: null });
      const event = assertEvent(UserCreatedV2, row?.payload);
      expect(event.data).toEqual({ userId: user.id, createdAt: user.created_at });
      expect(row?.eventId).toBe(event.id);
      // The event's id is the user's: erasure finds the row by it.
      expect(event.id).toBe(user.id);
      expect(row?.headers).toEqual({
        [Headers.eventId]: event.id,
        [Headers.eventType]: 'UserCreated/2',
        [Headers.correlationId]: event.correlationId,
      });
      // Same writing transaction: both rows carry the same xmin.
      const xmin = await t.database.pool.query<{ user_tx: string; outbox_tx: string }>(
        'select (select xmin::text from users where id = $1) as user_tx, (select xmin::text from outbox where key = $2) as outbox_tx',
        [user.id, user.id],
      );
      expect(xmin.rows[0]?.user_tx).toBe(xmin.rows[0]?.outbox_tx);
    });

    it('wakes the relay once for each change it commits, and not for a refused one', async () => {
      const before = t.outboxWakes();
      const input = newSignup();
      expect((await signup(input)).statusCode).toBe(201);
      expect(t.outboxWakes()).toBe(before + 1);
      expect((await signup({ ...newSignup(), email: input.email })).statusCode).toBe(409);
      expect(t.outboxWakes()).toBe(before + 1);
      const keyed = { 'idempotency-key': randomUUID() };
      const body = newSignup();
      const created = await signup(body, keyed);
      expect(created.statusCode).toBe(201);
      expect(t.outboxWakes()).toBe(before + 2);
      // A replay commits nothing new.
      expect((await signup(body, keyed)).statusCode).toBe(201);
      expect(t.outboxWakes()).toBe(before + 2);
      const deleted = await t.asAdmin({ method: 'DELETE', url: `/api/v1/users/${created.json<UserBody>().id}` });
      expect(deleted.statusCode).toBe(204);
      expect(t.outboxWakes()).toBe(before + 3);
    });

    it('accepts markup in full_name and stores it verbatim (escaping is the renderers’ job)', async () => {
      const fullName = '<script>alert(1)</script> <!channel> & <@U123>';
      const response = await signup(newSignup({ full_name: fullName }));
      expect(response.statusCode).toBe(201);
      const { id } = response.json<UserBody>();
      const [row] = await t.database.db.select().from(users).where(eq(users.id, id));
      expect(row?.fullName).toBe(fullName);
      const fetched = await t.asAdmin({ method: 'GET', url: `/api/v1/users/${id}` });
      expect(fetched.json<UserBody>().full_name).toBe(fullName);
    });

    it('accepts names in any script, accents and emoji included', async () => {
      for (const fullName of ['Zoë Ångström', 'محمد علي', '山田 太郎', 'Ada 🚀']) {
        const response = await signup(newSignup({ full_name: fullName }));
        expect(response.statusCode).toBe(201);
      }
    });

    it('keeps surrounding spaces in full_name as sent (nothing is trimmed)', async () => {
      const response = await signup(newSignup({ full_name: '  Ada  ' }));
      expect(response.statusCode).toBe(201);
      expect(response.json<UserBody>().full_name).toBe('  Ada  ');
    });

    it.each([
      ['a missing email', { email: undefined }, ['email']],
      ['every field missing', { email: undefined, username: undefined, full_name: undefined }, ['email', 'username', 'full_name']],
      ['an invalid email', { email: 'not-an-email' }, ['email']],
      ['an email with a surrounding space', { email: ' ada@example.com' }, ['email']],
      ['an over-long email', { email: `${'a'.repeat(250)}@example.com` }, ['email']],
      ['an over-long username', { username: 'a'.repeat(33) }, ['username']],
      ['a too-short username', { username: 'ab' }, ['username']],
      ['a username with spaces', { username: 'ada lovelace' }, ['username']],
      ['an over-long full_name', { full_name: 'x'.repeat(101) }, ['full_name']],
      ['CR/LF in full_name', { full_name: 'Eve\r\nBcc: all@example.com' }, ['full_name']],
      ['a blank full_name', { full_name: '   ' }, ['full_name']],
      ['a NUL alone in full_name', { full_name: '\u0000' }, ['full_name']],
      ['a NUL inside full_name', { full_name: 'Ada\u0000Lovelace' }, ['full_name']],
      ['a C1 control (NEL) in full_name', { full_name: 'Ada\u0085Lovelace' }, ['full_name']],
      ['a right-to-left override in full_name', { full_name: 'Ada \u202eecalevoL' }, ['full_name']],
      ['a bidi isolate in full_name', { full_name: '\u2066Ada\u2069' }, ['full_name']],
      ['a number for a string', { username: 42 }, ['username']],
      ['an unknown property', { admin: true }, ['admin']],
      ['camelCase instead of snake_case', { full_name: undefined, fullName: 'Ada' }, ['full_name', 'fullName']],
    ])('refuses %s with a 400 naming the field', async (_what, change, fields) => {
      const body = { ...newSignup(), ...change };
      const response = await signup(JSON.parse(JSON.stringify(body)));
      expect(response.statusCode).toBe(400);
      const error = response.json<ErrorResponseBody>();
      expect(error.error).toBe('validation_failed');
      expect(error.errors?.map((e) => e.field).sort()).toEqual([...fields].sort());
      for (const e of error.errors ?? []) expect(e.message).toEqual(anyString);
      for (const field of fields) expect(error.message).toContain(field);
    });

    it('explains a bad pattern in words', async () => {
      const response = await signup(newSignup({ username: 'ada lovelace' }));
      expect(response.json<ErrorResponseBody>().errors).toEqual([
        { field: 'username', message: matching(/letters, digits/) },
      ]);
    });

    it.each([
      ['malformed JSON', '{"email": "ada@example.com",', 'application/json'],
      ['an empty JSON body', '', 'application/json'],
      ['a __proto__ key', '{"__proto__": {"admin": true}}', 'application/json'],
    ])('refuses %s with 400 invalid_json', async (_what, payload, contentType) => {
      const response = await t.asAdmin({
        method: 'POST',
        url: '/api/v1/users',
        payload,
        headers: { 'content-type': contentType },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json<ErrorResponseBody>().error).toBe('invalid_json');
    });

    it('refuses a JSON body that is not an object', async () => {
      const response = await signup(['ada@example.com']);
      expect(response.statusCode).toBe(400);
      expect(response.json<ErrorResponseBody>().errors).toEqual([{ field: 'body', message: 'must be a JSON object' }]);
    });

    it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])(
      'refuses content-type %s with 415',
      async (contentType) => {
        const response = await t.asAdmin({
          method: 'POST',
          url: '/api/v1/users',
          payload: JSON.stringify(newSignup()),
          headers: { 'content-type': contentType },
        });
        expect(response.statusCode).toBe(415);
        expect(response.json<ErrorResponseBody>().error).toBe('unsupported_media_type');
      },
    );

    it('answers 409 email_taken for the same email in another case', async () => {
      const first = newSignup();
      expect((await signup(first)).statusCode).toBe(201);
      const response = await signup(newSignup({ email: first.email.toUpperCase() }));
      expect(response.statusCode).toBe(409);
      expect(response.json<ErrorResponseBody>().error).toBe('email_taken');
    });

    it('answers 409 username_taken for the same username in another case, and writes no outbox row', async () => {
      const first = newSignup();
      expect((await signup(first)).statusCode).toBe(201);
      const second = newSignup({ username: first.username.toUpperCase() });
      const response = await signup(second);
      expect(response.statusCode).toBe(409);
      expect(response.json<ErrorResponseBody>().error).toBe('username_taken');
      const rows = await t.database.db
        .select()
        .from(outbox)
        .where(sql`${outbox.payload} -> 'data' ->> 'email' = ${second.email}`);
      expect(rows).toHaveLength(0);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for a retry with the same key and body', async () => {
      const key = `signup-${randomUUID()}`;
      const input = newSignup();
      const first = await signup(input, { 'idempotency-key': key });
      expect(first.statusCode).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      // Same body, keys in another order.
      const reordered = { full_name: input.full_name, username: input.username, email: input.email };
      const retry = await signup(reordered, { 'idempotency-key': key });
      expect(retry.statusCode).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.json()).toEqual(first.json());
      const { id } = first.json<UserBody>();
      expect(await outboxOf(id)).toHaveLength(1);
      const [stored] = await t.database.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
      expect(stored).toMatchObject({ statusCode: 201, response: first.json<UserBody>() });
    });

    it('refuses the same key with another body: 422 idempotency_key_reused', async () => {
      const key = `signup-${randomUUID()}`;
      expect((await signup(newSignup(), { 'idempotency-key': key })).statusCode).toBe(201);
      const response = await signup(newSignup(), { 'idempotency-key': key });
      expect(response.statusCode).toBe(422);
      expect(response.json<ErrorResponseBody>().error).toBe('idempotency_key_reused');
    });

    it('creates one user when two requests with the same key race', async () => {
      const key = `signup-${randomUUID()}`;
      const input = newSignup();
      const responses = await Promise.all([1, 2, 3].map(() => signup(input, { 'idempotency-key': key })));
      expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201]);
      const ids = new Set(responses.map((r) => r.json<UserBody>().id));
      expect(ids.size).toBe(1);
      expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(2);
      const rows = await t.database.db.select().from(users).where(eq(users.email, input.email));
      expect(rows).toHaveLength(1);
    });

    it('records nothing for a failed request, so a retry runs again', async () => {
      const key = `signup-${randomUUID()}`;
      const taken = newSignup();
      expect((await signup(taken)).statusCode).toBe(201);
      expect((await signup(newSignup({ email: taken.email }), { 'idempotency-key': key })).statusCode).toBe(409);
      expect(await t.database.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key))).toHaveLength(0);
    });

    it.each([
      ['empty', ''],
      ['with a space', 'a b'],
      ['with a non-ASCII character', 'clé'],
      ['longer than 200 characters', 'k'.repeat(201)],
    ])('refuses a key %s with 400', async (_what, key) => {
      const response = await t.asAdmin({
        method: 'POST',
        url: '/api/v1/users',
        payload: newSignup(),
        headers: { 'idempotency-key': key },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json<ErrorResponseBody>().errors?.[0]?.field).toBe('idempotency-key');
    });
  });

  describe('GET and DELETE /api/v1/users/:id', () => {
    it('reads a user', async () => {
      const created = (await signup(newSignup())).json<UserBody>();
      const response = await t.asAdmin({ method: 'GET', url: `/api/v1/users/${created.id}` });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(created);
    });

    it('answers 400 naming id for an id that is not a UUID, 404 for an unknown one', async () => {
      const bad = await t.asAdmin({ method: 'GET', url: '/api/v1/users/42' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json<ErrorResponseBody>().errors).toEqual([{ field: 'id', message: 'must be a UUID' }]);
      const missing = await t.asAdmin({ method: 'GET', url: `/api/v1/users/${randomUUID()}` });
      expect(missing.statusCode).toBe(404);
      expect(missing.json<ErrorResponseBody>().error).toBe('not_found');
      const deleteBad = await t.asAdmin({ method: 'DELETE', url: '/api/v1/users/nope' });
      expect(deleteBad.statusCode).toBe(400);
    });

    it('deletes a user with a UserDeleted outbox row, erasing the row and the signup event; then it is gone', async () => {
      const created = (await signup(newSignup())).json<UserBody>();
      const response = await t.asAdmin({ method: 'DELETE', url: `/api/v1/users/${created.id}` });
      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');
      // The UserCreated row was not published yet: nobody heard of the user, and nobody will.
      const rows = await outboxOf(created.id);
      expect(rows.map((r) => r.topic)).toEqual([UserDeleted.name]);
      const deleted = assertEvent(UserDeleted, rows[0]?.payload);
      expect(deleted.data.userId).toBe(created.id);
      const [row] = await t.database.db.select().from(users).where(eq(users.id, created.id));
      expect(row).toMatchObject({ email: null, username: null, fullName: null, deletedAt: expect.any(Date) as unknown });
      expect((await t.asAdmin({ method: 'GET', url: `/api/v1/users/${created.id}` })).statusCode).toBe(404);
      expect((await t.asAdmin({ method: 'DELETE', url: `/api/v1/users/${created.id}` })).statusCode).toBe(404);
      expect(await outboxOf(created.id)).toHaveLength(1);
    });

    it('refuses a deleted user that keeps personal data, and a live one without it', async () => {
      const created = (await signup(newSignup())).json<UserBody>();
      const violation = (change: Partial<typeof users.$inferInsert>) =>
        t.database.db.update(users).set(change).where(eq(users.id, created.id));
      await expect(violation({ deletedAt: new Date() })).rejects.toHaveProperty('cause.constraint', 'users_deleted_are_erased');
      await expect(violation({ email: null })).rejects.toHaveProperty('cause.constraint', 'users_deleted_are_erased');
    });

    it("lets a deleted user's email and username sign up again, as a new user", async () => {
      const first = newSignup();
      const created = (await signup(first)).json<UserBody>();
      expect((await signup(newSignup({ email: first.email.toUpperCase() }))).statusCode).toBe(409);
      expect((await t.asAdmin({ method: 'DELETE', url: `/api/v1/users/${created.id}` })).statusCode).toBe(204);
      const again = await signup(first);
      expect(again.statusCode).toBe(201);
      expect(again.json<UserBody>().id).not.toBe(created.id);
      expect((await signup(first)).statusCode).toBe(409);
    });

    it('answers 404 for deleting an unknown user', async () => {
      const response = await t.asAdmin({ method: 'DELETE', url: `/api/v1/users/${randomUUID()}` });
      expect(response.statusCode).toBe(404);
    });
  });

  describe('errors and docs', () => {
    it('answers unknown routes with a JSON 404', async () => {
      const response = await t.asAdmin({ method: 'GET', url: '/api/v1/nope?x=1' });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: 'not_found', message: 'No route GET /api/v1/nope.' });
    });

    it('answers a 500 with an error id, and no details', async () => {
      // A database that does not exist (3D000) is a fault of the deployment, not an outage.
      const url = new URL(infrastructure().databaseUrl);
      url.pathname = '/herald_no_such_database';
      const broken = await testApp(openDatabase(url.toString(), { connectionTimeoutMillis: 500 }));
      try {
        const response = await broken.asAdmin({ method: 'GET', url: `/api/v1/users/${randomUUID()}` });
        expect(response.statusCode).toBe(500);
        expect(response.json()).toEqual({
          error: 'internal_error',
          message: anyString,
          error_id: matching(/^[0-9a-f-]{36}$/),
        });
        expect(response.body).not.toMatch(/herald_no_such_database|127\.0\.0\.1/);
      } finally {
        await broken.close();
      }
    });

    it('answers 503 with Retry-After, and writes nothing, while the database is unreachable', async () => {
      const down = await testApp(openDatabase('postgres://herald:herald@127.0.0.1:1/herald', { connectionTimeoutMillis: 500 }));
      try {
        const email = `${randomUUID()}@example.com`;
        const response = await down.asAdmin({
          method: 'POST',
          url: '/api/v1/users',
          payload: { email, username: `u${randomUUID().slice(0, 8)}`, full_name: 'Ada Lovelace' },
        });
        expect(response.statusCode).toBe(503);
        expect(response.headers['retry-after']).toBe('2');
        expect(response.json()).toEqual({ error: 'database_unavailable', message: anyString });
        expect(response.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
        const read = await down.asAdmin({ method: 'GET', url: `/api/v1/users/${randomUUID()}` });
        expect(read.statusCode).toBe(503);
      } finally {
        await down.close();
      }
    });

    it('documents every route with a summary, tags and responses', async () => {
      const response = await t.asAdmin({ method: 'GET', url: '/docs/json' });
      expect(response.statusCode).toBe(200);
      const spec = response.json<{ paths: Record<string, Record<string, { summary?: string; tags?: string[]; responses?: object }>> }>();
      const operations = [
        ['/api/v1/users', 'post'],
        ['/api/v1/users/{id}', 'get'],
        ['/api/v1/users/{id}', 'delete'],
        ['/api/v1/alerts', 'post'],
        ['/api/v1/users/{id}/notifications', 'get'],
      ] as const;
      for (const [path, method] of operations) {
        const operation = spec.paths[path]?.[method];
        expect(operation?.summary).toEqual(anyString);
        expect(operation?.tags?.length).toBeGreaterThan(0);
        expect(Object.keys(operation?.responses ?? {}).length).toBeGreaterThan(1);
      }
      expect(spec.paths['/healthz']).toBeUndefined();
      expect(JSON.stringify(spec)).not.toContain(ADMIN_TOKEN);
    });
  });
});
