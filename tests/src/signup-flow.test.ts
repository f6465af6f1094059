import { randomBytes, randomUUID } from 'node:crypto';
import { openDatabase } from '@herald/db';
import { createKafka } from '@herald/kafka';
import {
  apiKeysCli,
  emailsTo,
  infrastructure,
  slackPosts,
  startService,
  newTraceparent,
  tablesHolding,
  topicsHolding,
  uniqueName,
  waitFor,
  type RunningService,
} from '@herald/testing';

// End to end, as the Temporal tutorial's workflow: POST /api/v1/users → welcome email and Slack
// announcement → a durable follow-up three seconds later (FOLLOW_UP_DELAY=PT3S) → follow-up email;
// the timeline lists every step. Every service is a real process on the real infrastructure.
const run = uniqueName('flow');
const slackPath = `/services/T000/B000/${run}`;
const alertsPath = `/services/T000/B000/${run}-alerts`;
const adminEmail = `${run}-admin@example.com`;
const adminToken = randomBytes(32).toString('hex');
const asAdmin = { authorization: `Bearer ${adminToken}` };
/** The key a product's backend would hold: it may only sign users up. Made with `npm run keys`. */
let signupKey: string;
let api: RunningService;
let services: RunningService[] = [];
const database = openDatabase(infrastructure().databaseUrl, { max: 1 });
/** The tables of Herald's database that hold `text` (packages/testing's search). */
const tablesWith = (text: string) => tablesHolding((query, values) => database.pool.query(query, values), text);

interface TimelineEntry {
  channel: string;
  notification: string;
  status: string;
  attempt: number;
  occurred_at: string;
}

async function signUp(fullName: string, headers: Record<string, string> = {}): Promise<{ id: string; email: string; username: string }> {
  const id = randomUUID().slice(0, 8);
  const body = { email: `${run}-${id}@example.com`, username: `f${id}`, full_name: fullName };
  const response = await fetch(`${api.url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${signupKey}`, ...headers },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  const user = (await response.json()) as { id: string };
  return { id: user.id, email: body.email, username: body.username };
}

/**
 * Waits for the scheduler's row of the user's follow-up. Not the timeline's `scheduled`: the
 * timeline is a read model a second or two behind, and by then a 3 s follow-up may be on its way.
 */
async function followUpScheduled(userId: string): Promise<void> {
  await waitFor(
    async () => {
      const { rowCount } = await database.pool.query(`select 1 from scheduled_messages where schedule_key = $1 and state = 'pending'`, [`follow-up:${userId}`]);
      return rowCount === 1;
    },
    { timeoutMs: 30_000, intervalMs: 50, description: 'the follow-up to be scheduled' },
  );
}

async function timeline(userId: string): Promise<TimelineEntry[]> {
  const response = await fetch(`${api.url}/api/v1/users/${userId}/notifications`, { headers: asAdmin });
  expect(response.status).toBe(200);
  return ((await response.json()) as { notifications: TimelineEntry[] }).notifications;
}

beforeAll(async () => {
  signupKey = String((await apiKeysCli('create', '--name', run, '--scope', 'signup')).key);
  api = await startService('api', { ADMIN_TOKEN: adminToken });
  services = await Promise.all([
    startService('email', { ADMIN_EMAIL: adminEmail }),
    startService('slack', {
      SLACK_SIGNUPS_WEBHOOK_URL: `${infrastructure().slackSinkUrl}${slackPath}`,
      SLACK_ALERTS_WEBHOOK_URL: `${infrastructure().slackSinkUrl}${alertsPath}`,
    }),
    startService('scheduler', { FOLLOW_UP_DELAY: 'PT3S', DISPATCH_MAX_IDLE_MS: '1000' }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([api, ...services].map((s) => s?.stop()));
  await database.close();
});

it('a signup returns at once, then gets its welcome email, Slack message and, 3 s later, the follow-up', async () => {
  const started = Date.now();
  const user = await signUp('Grace Hopper');
  expect(Date.now() - started).toBeLessThan(2000);

  const welcome = await waitFor(async () => {
    const found = await emailsTo(user.email);
    return found.find((m) => m.Subject === 'Welcome Grace Hopper!');
  }, { timeoutMs: 30_000, description: 'the welcome email' });
  await waitFor(async () => (await slackPosts(slackPath)).some((p) => p.text?.includes(user.username)), {
    timeoutMs: 30_000,
    description: 'the Slack announcement',
  });
  const followUp = await waitFor(async () => {
    const found = await emailsTo(user.email);
    return found.find((m) => m.Subject === 'How are you finding our platform?');
  }, { timeoutMs: 30_000, description: 'the follow-up email' });
  const gap = Date.parse(followUp.Created) - Date.parse(welcome.Created);
  expect(gap).toBeGreaterThanOrEqual(2900);
  expect(gap).toBeLessThan(10_000);

  const steps = await waitFor(async () => {
    const entries = await timeline(user.id);
    const seen = entries.map((e) => `${e.channel}:${e.notification}:${e.status}`);
    const wanted = [
      'email:welcome:sent',
      'slack:signup-announcement:sent',
      'scheduler:follow-up:scheduled',
      'scheduler:follow-up:due',
      'email:follow-up:sent',
    ];
    return wanted.every((w) => seen.includes(w)) && seen;
  }, { timeoutMs: 15_000, description: 'every step on the timeline' });
  expect(steps.indexOf('scheduler:follow-up:scheduled')).toBeGreaterThan(steps.indexOf('email:welcome:sent'));
  expect(steps.indexOf('email:follow-up:sent')).toBeGreaterThan(steps.indexOf('scheduler:follow-up:due'));
  expect(await emailsTo(user.email)).toHaveLength(2);
  // Events name the user by id: after every step, only `users` holds the address.
  expect(await tablesWith(user.email)).toEqual(['users']);
});

/** Jaeger's whole record of a trace (spans, their attributes and events), as text; '' while it has none. */
async function traceText(traceId: string): Promise<string> {
  const response = await fetch(new URL(`/api/traces/${traceId}`, infrastructure().jaegerUrl));
  return response.ok ? (await response.text()).toLowerCase() : '';
}

it('deleting a user before the follow-up is due means no follow-up, and no table, topic, span or log keeps their address', async () => {
  // Every record this test's signup caused was written after this (the broker's clock is this machine's).
  const started = Date.now() - 1000;
  const signupTrace = newTraceparent();
  const user = await signUp('Alan Turing', { traceparent: signupTrace.traceparent });
  await followUpScheduled(user.id);
  // Deleted at once: the follow-up falls due 3 s after the welcome email, and scanning every
  // table first (as the signup test does) takes longer than that on a database that has grown.
  const logged = [api, ...services].map((service) => service.output().length);
  const deletionTrace = newTraceparent();
  const response = await fetch(`${api.url}/api/v1/users/${user.id}`, {
    method: 'DELETE',
    headers: { ...asAdmin, traceparent: deletionTrace.traceparent },
  });
  expect(response.status).toBe(204);
  expect((await fetch(`${api.url}/api/v1/users/${user.id}/notifications`, { headers: asAdmin })).status).toBe(404);
  // The scheduler deletes the follow-up on UserDeleted; a consumer's owed messages leave
  // consumer_outbox within a second of going out.
  await waitFor(async () => (await tablesWith(user.email)).length === 0, {
    timeoutMs: 30_000,
    description: 'no table to hold the address',
  });
  // Past the due time (3 s) with margin: still only the welcome email, and what was still in flight
  // (the scheduler's cancellation) wrote nothing of theirs.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const emails = await emailsTo(user.email);
  expect(emails.map((m) => m.Subject)).toEqual(['Welcome Alan Turing!']);
  for (const text of [user.email, user.username]) expect(await tablesWith(text)).toEqual([]);
  // Spans: the signup's trace (api, relay, email, Slack, scheduler) and the deletion's hold
  // neither the address nor the username.
  const traces = await waitFor(
    async () => {
      const texts = await Promise.all([traceText(signupTrace.traceId), traceText(deletionTrace.traceId)]);
      // Both reached the scheduler, the last service either goes through before the checks.
      return texts.every((text) => text.includes('herald-scheduler')) && texts;
    },
    { timeoutMs: 20_000, description: 'the signup and deletion traces in Jaeger' },
  );
  for (const text of traces) for (const personal of [user.email, user.username]) expect(text).not.toContain(personal.toLowerCase());
  // Logs: nothing any service wrote since the deletion holds them.
  const since = [api, ...services].map((service, i) => service.output().slice(logged[i]).toLowerCase()).join('\n');
  for (const personal of [user.email, user.username]) expect(since).not.toContain(personal.toLowerCase());
  // Kafka: no topic (retry, redrive and dead-letter topics included) has a record since the signup
  // whose key, value or headers hold them.
  const kafka = createKafka({ clientId: `${run}-erasure`, brokers: infrastructure().kafkaBrokers });
  expect(await topicsHolding(kafka, [user.email, user.username], started)).toEqual([]);
  // The same read finds the user's id where their events are: it read them.
  expect(await topicsHolding(kafka, [user.id], started)).toEqual(expect.arrayContaining(['user.created.v2', 'email.sent.v2', 'user.deleted.v1']));
}, 120_000);

it('an alert reaches both the admin inbox and the alerts channel', async () => {
  const message = `${run}: disk <full> on db-1`;
  const refused = await fetch(`${api.url}/api/v1/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message, severity: 'critical' }),
  });
  expect(refused.status).toBe(401);
  const response = await fetch(`${api.url}/api/v1/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ message, severity: 'critical' }),
  });
  expect(response.status).toBe(202);
  const [mail] = await waitFor(async () => {
    const found = await emailsTo(adminEmail);
    return found.length > 0 && found;
  }, { timeoutMs: 30_000, description: 'the alert email' });
  expect(mail?.Subject).toBe(`[CRITICAL] ${message}`);
  const [post] = await waitFor(async () => {
    const found = await slackPosts(alertsPath);
    return found.length > 0 && found;
  }, { timeoutMs: 30_000, description: 'the alert in the alerts channel' });
  expect(post?.text).toBe(`:rotating_light: *CRITICAL*: ${run}: disk &lt;full&gt; on db-1`);
});

it('a scheduler stopped before the follow-up is due and started after sends it exactly once', async () => {
  const user = await signUp('Katherine Johnson');
  await followUpScheduled(user.id);
  const scheduler = services[2];
  await expect(scheduler?.stop()).resolves.toBe(0);
  // Past the due time while no scheduler runs: nothing is sent.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  expect((await emailsTo(user.email)).map((m) => m.Subject)).toEqual(['Welcome Katherine Johnson!']);

  services[2] = await startService('scheduler', { FOLLOW_UP_DELAY: 'PT3S', DISPATCH_MAX_IDLE_MS: '1000' });
  await waitFor(async () => (await emailsTo(user.email)).length === 2, { timeoutMs: 30_000, description: 'the follow-up after the restart' });
  // A later signup's follow-up proves the scheduler went on; this user still has exactly two emails.
  const later = await signUp('Dorothy Vaughan');
  await waitFor(async () => (await emailsTo(later.email)).length === 2, { timeoutMs: 30_000, description: 'a later follow-up' });
  expect((await emailsTo(user.email)).map((m) => m.Subject).sort()).toEqual([
    'How are you finding our platform?',
    'Welcome Katherine Johnson!',
  ]);
});

it('a key revoked with `npm run keys -- revoke` is refused within API_KEY_CACHE_MS', async () => {
  const id = /^hk_([0-9a-f]{16})_/.exec(signupKey)?.[1] ?? '';
  expect(await apiKeysCli('revoke', id)).toEqual({ id, revoked: true });
  const listed = (await apiKeysCli('list')) as unknown as { id: string; revokedAt: string | null }[];
  expect(listed.find((k) => k.id === id)?.revokedAt).toEqual(expect.any(String));
  const status = () =>
    fetch(`${api.url}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${signupKey}` },
      // A body the api refuses (400) while the key is still trusted, so that nothing is written.
      body: '{}',
    }).then((response) => response.status);
  await waitFor(async () => (await status()) === 401, { timeoutMs: 3000, intervalMs: 200, description: 'the revoked key to be refused' });
});
