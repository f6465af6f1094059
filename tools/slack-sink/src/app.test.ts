import type { AddressInfo } from 'node:net';
import { createSlackSink, type SlackSink } from './app';
import type { SlackMessage, WebhookAttempt } from './store';

const HOOK = '/services/T000/B000/signups';

let sink: SlackSink;
let base: string;

beforeEach(async () => {
  sink = createSlackSink();
  await new Promise<void>((resolve) => sink.server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(sink.server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  sink.server.closeAllConnections();
  await new Promise<void>((resolve) => sink.server.close(() => resolve()));
});

const post = (path: string, body: unknown, contentType = 'application/json'): Promise<Response> =>
  fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const getJson = async <T>(path: string): Promise<T> => {
  const res = await fetch(base + path);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
};

const messages = async (query = ''): Promise<SlackMessage[]> =>
  (await getJson<{ messages: SlackMessage[] }>(`/api/messages${query}`)).messages;

const addFault = async (fault: object): Promise<void> => {
  const res = await fetch(`${base}/api/faults`, { method: 'POST', body: JSON.stringify(fault) });
  expect(res.status).toBe(201);
};

describe('webhook', () => {
  it('accepts a message like Slack and records it without credentials', async () => {
    const res = await fetch(base + HOOK, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer x', 'X-Trace': 't1' },
      body: JSON.stringify({ text: 'New signup: ada', blocks: [{ type: 'divider' }] }),
    });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('ok');
    const [message, ...rest] = await messages();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      id: 1,
      path: HOOK,
      channel: 'signups',
      text: 'New signup: ada',
      body: { text: 'New signup: ada', blocks: [{ type: 'divider' }] },
    });
    expect(new Date(message?.receivedAt ?? '').toISOString()).toBe(message?.receivedAt);
    expect(message?.headers).toMatchObject({ 'x-trace': 't1' });
    expect(message?.headers).not.toHaveProperty('authorization');
  });

  it('accepts blocks without text, and a form with a payload field', async () => {
    expect((await post(HOOK, { blocks: [{ type: 'section' }] })).status).toBe(200);
    const form = new URLSearchParams({ payload: JSON.stringify({ text: 'from a form' }) });
    const res = await post(HOOK, form.toString(), 'application/x-www-form-urlencoded');
    expect(res.status).toBe(200);
    expect((await messages()).map((m) => m.text)).toEqual([null, 'from a form']);
  });

  it.each([
    ['not JSON', '{"text":', 'application/json', 'invalid_payload'],
    ['a JSON array', '[1]', 'application/json', 'invalid_payload'],
    ['another content type', '{"text":"hi"}', 'text/plain', 'invalid_payload'],
    ['a form without payload', 'text=hi', 'application/x-www-form-urlencoded', 'invalid_payload'],
    ['no text or blocks', '{"username":"bot"}', 'application/json', 'no_text'],
    ['empty text and blocks', '{"text":"","blocks":[]}', 'application/json', 'no_text'],
  ])('answers 400 to %s', async (_case, body, contentType, error) => {
    const res = await post(HOOK, body, contentType);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(error);
    expect(await messages()).toEqual([]);
  });

  it('answers 413 to a body over 1 MiB', async () => {
    const res = await post(HOOK, { text: 'x'.repeat(1024 * 1024) });
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('request_too_large');
    expect(await messages()).toEqual([]);
  });

  it('answers 405 to other methods on a webhook path', async () => {
    const res = await fetch(base + HOOK);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('faults', () => {
  it('answers a 429 with Retry-After once, then accepts again', async () => {
    await addFault({ status: 429, retryAfter: 7 });

    const faulted = await post(HOOK, { text: 'first try' });
    expect(faulted.status).toBe(429);
    expect(faulted.headers.get('retry-after')).toBe('7');
    expect(await faulted.text()).toBe('rate_limited');

    const retried = await post(HOOK, { text: 'second try' });
    expect(retried.status).toBe(200);
    expect((await messages()).map((m) => m.text)).toEqual(['second try']);
    const { attempts } = await getJson<{ attempts: WebhookAttempt[] }>('/api/attempts');
    expect(attempts.map((a) => [a.path, a.status])).toEqual([
      [HOOK, 429],
      [HOOK, 200],
    ]);
    expect((await getJson<{ faults: unknown[] }>('/api/faults')).faults).toEqual([]);
  });

  it('applies only to its path prefix, with its own body, as many times as asked', async () => {
    await addFault({ path: '/services/T000/B000/alerts', status: 410, times: 2, body: 'gone' });
    expect((await post(HOOK, { text: 'a' })).status).toBe(200);
    const res = await post('/services/T000/B000/alerts', { text: 'b' });
    expect([res.status, await res.text()]).toEqual([410, 'gone']);
    expect((await getJson<{ faults: unknown[] }>('/api/faults')).faults).toMatchObject([
      { remaining: 1 },
    ]);

    expect((await fetch(`${base}/api/faults`, { method: 'DELETE' })).status).toBe(204);
    expect((await post('/services/T000/B000/alerts', { text: 'c' })).status).toBe(200);
  });

  it('waits delayMs before answering', async () => {
    await addFault({ status: 500, delayMs: 300 });
    const started = performance.now();
    const res = await post(HOOK, { text: 'slow' });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('internal_error');
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('rejects a bad fault with 400', async () => {
    const res = await fetch(`${base}/api/faults`, {
      method: 'POST',
      body: JSON.stringify({ status: 'soon' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_fault' });
  });
});

describe('api', () => {
  it('filters messages by path prefix and id, and clears them', async () => {
    await post('/services/T/B/signups', { text: 's1' });
    await post('/services/T/B/alerts', { text: 'a1' });
    await post('/services/T/B/signups', { text: 's2' });

    expect((await messages('?path=/services/T/B/signups')).map((m) => m.text)).toEqual([
      's1',
      's2',
    ]);
    expect((await messages('?since=1')).map((m) => m.text)).toEqual(['a1', 's2']);
    expect((await fetch(`${base}/api/messages?since=x`)).status).toBe(400);

    expect((await fetch(`${base}/api/messages`, { method: 'DELETE' })).status).toBe(204);
    expect(await messages()).toEqual([]);
    expect((await getJson<{ attempts: unknown[] }>('/api/attempts')).attempts).toEqual([]);
  });

  it('answers health checks and 404s unknown routes with JSON', async () => {
    expect(await getJson('/healthz')).toEqual({ status: 'ok' });
    expect(await getJson('/readyz')).toEqual({ status: 'ok' });
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });
});

describe('page', () => {
  it('lists messages newest first with user text escaped', async () => {
    await post(HOOK, { text: 'older' });
    await post(HOOK, { text: '<script>alert("x")</script>' });

    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html.indexOf('&lt;script&gt;')).toBeLessThan(html.indexOf('older'));
    expect(html).toContain('<meta http-equiv="refresh" content="2">');
  });
});
