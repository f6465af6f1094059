import { randomUUID } from 'node:crypto';
import { apiKeysCli, runStack, startService, uniqueName, waitFor, type RunningService } from '@herald/testing';

// Outage answers: with PostgreSQL stopped, a signup is refused at once with 503 and Retry-After
// (nothing can be written, and the client should come back), and once PostgreSQL is back the
// same api takes it. Stops the shared PostgreSQL, so it runs alone (tests/jest.disruptive.config.js),
// and only against the native stack, whose PostgreSQL the stack tool can stop and start.

const native = (process.env.HERALD_INFRA ?? 'native') === 'native';
const run = uniqueName('pg-outage');
let api: RunningService;
let signupKey = '';

beforeAll(async () => {
  signupKey = String((await apiKeysCli('create', '--name', run, '--scope', 'signup')).key);
  // A short key cache, so that the outage also reaches the key's lookup.
  api = await startService('api', { API_KEY_CACHE_MS: '100' });
});

afterAll(async () => {
  runStack('start', 'postgres');
  await api?.stop();
});

const signUp = async (): Promise<{ status: number; retryAfter: string | null; ms: number }> => {
  const id = randomUUID().slice(0, 8);
  const started = Date.now();
  const response = await fetch(`${api.url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${signupKey}` },
    body: JSON.stringify({ email: `${run}-${id}@example.com`, username: `pg${id}`, full_name: 'Postgres Down' }),
  });
  await response.arrayBuffer();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), ms: Date.now() - started };
};

(native ? it : it.skip)('answers 503 with Retry-After within 2 s while PostgreSQL is down, and 201 once it is back', async () => {
  expect((await signUp()).status).toBe(201);
  runStack('stop', 'postgres');
  await new Promise((resolve) => setTimeout(resolve, 200)); // past the key cache
  const refused = await signUp();
  expect({ status: refused.status, retryAfter: refused.retryAfter }).toEqual({ status: 503, retryAfter: '2' });
  expect(refused.ms).toBeLessThan(2000);
  const exited = await Promise.race([api.exited, new Promise((resolve) => setTimeout(() => resolve('running'), 500))]);
  expect(exited).toBe('running');

  runStack('start', 'postgres');
  await waitFor(async () => (await signUp()).status === 201, { timeoutMs: 60_000, intervalMs: 500, description: 'a signup after PostgreSQL is back' });
});
