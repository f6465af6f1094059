import { randomBytes, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { sql } from 'drizzle-orm';
import { DeadLetters } from '@herald/consumer';
import { openDatabase, type DatabaseHandle } from '@herald/db';
import { createKafka } from '@herald/kafka';
import { createLogger } from '@herald/service-kit';
import { infrastructure } from '@herald/testing';
import { ApiKeyStore } from './api-keys';
import { buildApp, type App } from './app';
import { ADMIN_TOKEN } from './app.fixture';

// The security battery, against a listening api and the real PostgreSQL: every route the app
// registers refuses a caller without the right credential, and bad input of every kind gets a 4xx.
// Every request that could write carries this run's marker, and afterwards no row holds it.
const marker = `battery-${randomBytes(4).toString('hex')}`;
let serial = 0;
const signupBody = (change: Record<string, unknown> = {}) => {
  serial += 1;
  return { email: `${marker}-${serial}@example.com`, username: `${marker}-${serial}`, full_name: `Ada ${marker}`, ...change };
};

/** The routes anyone may call: probes, metrics and the API's documentation. */
const PUBLIC = [/^\/healthz$/, /^\/readyz$/, /^\/metrics$/, /^\/docs(\/|$)/];

/**
 * Every route the app registers, as method and path, read from fastify's own route tree: a line
 * is `├── <segment> (METHODS)` under its parent, four columns deeper.
 */
function registeredRoutes(app: App): { method: string; url: string }[] {
  const routes: { method: string; url: string }[] = [];
  const path: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match?.[2]) continue;
    const depth = (match[1] ?? '').length / 4;
    path.length = depth;
    path.push(match[2]);
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, url: path.join('') });
  }
  return routes;
}

interface Route {
  method: string;
  url: string;
  access: 'signup' | 'admin';
}

/** Every route that needs a credential, and which. The first test checks it against the app's own table. */
const ROUTES: Route[] = [
  { method: 'POST', url: '/api/v1/users', access: 'signup' },
  ...['GET', 'HEAD', 'DELETE'].map((method) => ({ method, url: '/api/v1/users/:id', access: 'admin' as const })),
  ...['GET', 'HEAD'].map((method) => ({ method, url: '/api/v1/users/:id/notifications', access: 'admin' as const })),
  { method: 'POST', url: '/api/v1/alerts', access: 'admin' },
  ...['GET', 'HEAD'].map((method) => ({ method, url: '/api/v1/dead-letters', access: 'admin' as const })),
  ...['GET', 'HEAD', 'DELETE'].map((method) => ({ method, url: '/api/v1/dead-letters/:dlq', access: 'admin' as const })),
  ...['GET', 'HEAD'].map((method) => ({ method, url: '/api/v1/dead-letters/:dlq/:id', access: 'admin' as const })),
  { method: 'POST', url: '/api/v1/dead-letters/:dlq/redrive', access: 'admin' },
];

/**
 * A concrete request for a route: ids filled in (none exists), and for a POST a body that would
 * write if the credential were let through by mistake; the last test looks for what it wrote.
 */
function requestFor(route: { method: string; url: string }): { path: string; body?: string } {
  const path = route.url.replace(':id', randomUUID()).replace(':dlq', `${marker}.nothing.dlq`);
  if (route.method !== 'POST') return { path };
  if (route.url === '/api/v1/users') return { path, body: JSON.stringify(signupBody()) };
  if (route.url === '/api/v1/alerts') return { path, body: JSON.stringify({ message: marker, severity: 'info' }) };
  return { path, body: JSON.stringify({ all: true }) };
}

/** Sends raw bytes and returns the status line's code: for requests no HTTP client would send. */
function rawStatus(port: number, request: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
  });
}

describe('security battery', () => {
  let database: DatabaseHandle;
  let app: App;
  let base: string;
  let port: number;
  const bearer: Record<'signup' | 'admin' | 'revoked' | 'unknown', string> = { signup: '', admin: '', revoked: '', unknown: '' };

  beforeAll(async () => {
    database = openDatabase(infrastructure().databaseUrl);
    const store = new ApiKeyStore(database.db);
    bearer.signup = `Bearer ${(await store.create(`${marker} signup`, ['signup'])).key}`;
    bearer.admin = `Bearer ${(await store.create(`${marker} admin`, ['admin'])).key}`;
    const revoked = await store.create(`${marker} revoked`, ['admin']);
    await store.revoke(revoked.id);
    bearer.revoked = `Bearer ${revoked.key}`;
    bearer.unknown = `Bearer hk_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    const kafka = createKafka({ clientId: 'security-battery', brokers: infrastructure().kafkaBrokers });
    app = await buildApp({
      logger: createLogger('api-test', 'silent'),
      database,
      kafkaAdmin: kafka.admin(),
      adminToken: ADMIN_TOKEN,
      deadLetters: new DeadLetters(kafka, database),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app.close();
    await database.db.execute(sql`delete from api_keys where name like ${`${marker}%`}`);
    await database.close();
  });

  const send = (method: string, path: string, options: { authorization?: string; body?: string; contentType?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.authorization === undefined ? {} : { authorization: options.authorization }),
        ...(options.body === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: options.body }),
    });

  describe('every registered route asks for its credential', () => {
    it('checks every route the app registers: a new route joins ROUTES with its access', () => {
      const guarded = registeredRoutes(app).filter((r) => !PUBLIC.some((p) => p.test(r.url)));
      expect(guarded.map((r) => `${r.method} ${r.url}`).sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.url}`).sort());
    });

    it.each(['/healthz', '/metrics', '/docs/json', '/docs/static/index.html'])('serves %s without a credential', async (path) => {
      expect((await send('GET', path)).status).toBe(200);
    });

    const refusals: [string, (b: typeof bearer) => string | undefined][] = [
      ['no credential', () => undefined],
      ['another scheme', () => `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`],
      ['a key nobody made', (b) => b.unknown],
      ['a revoked key', (b) => b.revoked],
      ['an admin token one character short', () => `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
    ];
    const byRoute = (route: Route) => `${route.method} ${route.url}`;

    it.each(refusals.flatMap(([what, credential]) => ROUTES.map((route) => [byRoute(route), what, route, credential] as const)))(
      '%s refuses %s with 401',
      async (_name, _what, route, credential) => {
        const { path, body } = requestFor(route);
        const response = await send(route.method, path, { authorization: credential(bearer), ...(body ? { body } : {}) });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
      },
    );

    it.each(ROUTES.filter((r) => r.access === 'admin').map((route) => [byRoute(route), route] as const))(
      '%s refuses a signup key with 403',
      async (_name, route) => {
        const { path, body } = requestFor(route);
        const response = await send(route.method, path, { authorization: bearer.signup, ...(body ? { body } : {}) });
        expect(response.status).toBe(403);
      },
    );

    it.each(ROUTES.map((route) => [byRoute(route), route] as const))(
      '%s lets an admin key through (to a body or an id its handler refuses)',
      async (_name, route) => {
        const { path, body } = requestFor(route);
        const response = await send(route.method, path, { authorization: bearer.admin, ...(body ? { body: '{"nothing":1}' } : {}) });
        expect([401, 403]).not.toContain(response.status);
      },
    );
  });

  const huge = 'x'.repeat(70 * 1024);
  const bodyCases: [string, { body: string; contentType?: string; headers?: Record<string, string> }, number][] = [
    ['a body over 64 KiB', { body: JSON.stringify(signupBody({ full_name: huge })) }, 413],
    ['JSON cut short', { body: `{"email":"${marker}@example.com",` }, 400],
    ['an empty JSON body', { body: '' }, 400],
    ['a JSON array', { body: JSON.stringify([signupBody()]) }, 400],
    ['a JSON string', { body: JSON.stringify('signup') }, 400],
    ['text/plain', { body: JSON.stringify(signupBody()), contentType: 'text/plain' }, 415],
    ['XML', { body: `<user><email>${marker}@example.com</email></user>`, contentType: 'application/xml' }, 415],
    ['form encoding', { body: `email=${marker}%40example.com`, contentType: 'application/x-www-form-urlencoded' }, 415],
    ['a property nobody asked for', { body: JSON.stringify(signupBody({ is_admin: true })) }, 400],
    ['__proto__ in the body', { body: `{"email":"${marker}-p@example.com","username":"${marker}-p","full_name":"Ada","__proto__":{"admin":true}}` }, 400],
    ['a nested object for the name', { body: JSON.stringify(signupBody({ full_name: { $ne: null } })) }, 400],
    ['invalid UTF-8', { body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('latin1') }, 400],
    ['SQL in the email', { body: JSON.stringify(signupBody({ email: `' OR '1'='1' --${marker}@example.com` })) }, 400],
    ['SQL in the username', { body: JSON.stringify(signupBody({ username: `x'; drop table users; --` })) }, 400],
    ['an email over 254 characters', { body: JSON.stringify(signupBody({ email: `${'a'.repeat(250)}@${marker}.com` })) }, 400],
    ['a name over 100 characters', { body: JSON.stringify(signupBody({ full_name: 'A'.repeat(101) })) }, 400],
    ['a blank name', { body: JSON.stringify(signupBody({ full_name: ' \t ' })) }, 400],
    ['NUL in the name', { body: JSON.stringify(signupBody({ full_name: 'Ada\u0000Lovelace' })) }, 400],
    ['BEL (C0) in the name', { body: JSON.stringify(signupBody({ full_name: 'Ada\u0007' })) }, 400],
    ['ESC (C0) in the name', { body: JSON.stringify(signupBody({ full_name: '\u001b[31mAda' })) }, 400],
    ['DEL in the name', { body: JSON.stringify(signupBody({ full_name: 'Ada\u007f' })) }, 400],
    ['NEL (C1) in the name', { body: JSON.stringify(signupBody({ full_name: 'Ada\u0085Lovelace' })) }, 400],
    ['CSI (C1) in the name', { body: JSON.stringify(signupBody({ full_name: 'Ada\u009b' })) }, 400],
    ['a right-to-left override in the name', { body: JSON.stringify(signupBody({ full_name: 'Ada \u202egnp.exe' })) }, 400],
    ['a directional isolate in the name', { body: JSON.stringify(signupBody({ full_name: 'Ada \u2066x\u2069' })) }, 400],
    ['a left-to-right mark in the name', { body: JSON.stringify(signupBody({ full_name: 'Ada\u200e' })) }, 400],
    ['CR LF and a header in the name', { body: JSON.stringify(signupBody({ full_name: 'Ada\r\nBcc: all@example.com' })) }, 400],
    ['an Idempotency-Key with a space', { body: JSON.stringify(signupBody()), headers: { 'idempotency-key': 'a b' } }, 400],
    ['an Idempotency-Key of 201 characters', { body: JSON.stringify(signupBody()), headers: { 'idempotency-key': 'k'.repeat(201) } }, 400],
  ];

  it.each(bodyCases)('answers a signup with %s as it should', async (_what, request, status) => {
    const response = await send('POST', '/api/v1/users', { authorization: bearer.signup, ...request });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: string }).error).toEqual(expect.any(String));
  });

  it.each([
    ['SQL in a user id', `/api/v1/users/${encodeURIComponent("1' OR '1'='1")}`, 400],
    ['a user id of 4,000 characters', `/api/v1/users/${'a'.repeat(4000)}`, 414],
    ['a path climbing out', '/api/v1/users/..%2f..%2fetc%2fpasswd', 400],
    ['SQL in a timeline id', `/api/v1/users/${encodeURIComponent('x; select pg_sleep(5)')}/notifications`, 400],
    ['a NUL in an id', '/api/v1/users/%00', 400],
    ['SQL in a dead-letter topic', `/api/v1/dead-letters/${encodeURIComponent("x' or 1=1.dlq")}`, 400],
    ['a limit that is not a number', '/api/v1/dead-letters/herald-email.user-created.v1.dlq?limit=1;drop', 400],
    ['a method the path does not have', '/api/v1/users', 404, 'PUT'],
  ])('answers %s with a 4xx', async (_what, path, status, method = 'GET') => {
    const response = await send(method, path, { authorization: bearer.admin });
    expect(response.status).toBe(status);
  });

  it.each([
    ['an authorization of 10,000 characters', `Bearer hk_${'a'.repeat(10_000)}`],
    ['two tokens', `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`],
    ['SQL as the key', "Bearer hk_0000000000000000_' OR '1'='1"],
    ['a key with its secret cut', (bearer_: typeof bearer) => bearer_.signup.slice(0, -3)],
  ])('refuses %s with 401', async (_what, credential) => {
    const authorization = typeof credential === 'function' ? credential(bearer) : credential;
    const response = await send('POST', '/api/v1/users', { authorization, body: JSON.stringify(signupBody()) });
    expect(response.status).toBe(401);
  });

  it.each([
    ['a bare CR in a header', (body: string) => `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nX-Note: a\rInjected: 1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 400],
    ['a NUL in a header', (body: string) => `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nX-Note: a\u0000b\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 400],
    ['headers over 16 KiB', (body: string) => `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(20_000)}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 431],
    ['a Content-Length that is not a number', (body: string) => `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1e3\r\n\r\n${body}`, 400],
    ['a space in a header name', (body: string) => `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nX Bad: 1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 400],
  ])('answers raw HTTP with %s as it should', async (_what, build, status) => {
    const body = JSON.stringify(signupBody());
    expect(await rawStatus(port, build(body).replace('Host: x', `Host: x\r\nAuthorization: ${bearer.signup}`))).toBe(status);
  });

  it('left no row behind: no user, outbox row or idempotency key holds the marker', async () => {
    const count = async (query: ReturnType<typeof sql>) => Number(((await database.db.execute(query)).rows[0] as { n: string }).n);
    expect(await count(sql`select count(*) as n from users where email like ${`%${marker}%`} or username like ${`%${marker}%`} or full_name like ${`%${marker}%`}`)).toBe(0);
    expect(await count(sql`select count(*) as n from outbox where payload::text like ${`%${marker}%`}`)).toBe(0);
    expect(await count(sql`select count(*) as n from idempotency_keys where response::text like ${`%${marker}%`}`)).toBe(0);
  });
});
