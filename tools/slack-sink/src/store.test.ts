import {
  channelOf,
  defaultFaultBody,
  InvalidFaultError,
  parseFaultSpec,
  SinkStore,
  type NewMessage,
} from './store';

const message = (path: string, text = 'hi'): NewMessage => ({
  path,
  text,
  body: { text },
  headers: {},
});

describe('SinkStore messages', () => {
  it('records messages with increasing ids, time, channel and cleaned headers', () => {
    const store = new SinkStore({ now: () => new Date('2030-01-02T03:04:05.000Z') });
    const first = store.recordMessage({
      ...message('/services/T000/B000/signups'),
      headers: {
        'Content-Type': 'application/json',
        authorization: 'Bearer secret',
        Cookie: 'session=1',
        'x-trace': ['a', 'b'],
        'x-missing': undefined,
      },
    });
    const second = store.recordMessage(message('/services/T000/B000/alerts'));

    expect(first).toEqual({
      id: 1,
      receivedAt: '2030-01-02T03:04:05.000Z',
      path: '/services/T000/B000/signups',
      channel: 'signups',
      text: 'hi',
      body: { text: 'hi' },
      headers: { 'content-type': 'application/json', 'x-trace': ['a', 'b'] },
    });
    expect(second.id).toBe(2);
  });

  it('drops the oldest messages beyond the cap', () => {
    const store = new SinkStore({ maxMessages: 3 });
    for (let i = 1; i <= 5; i++) store.recordMessage(message('/services/x', `m${i}`));
    expect(store.listMessages().map((m) => m.text)).toEqual(['m3', 'm4', 'm5']);
  });

  it('filters by path prefix and by id', () => {
    const store = new SinkStore();
    store.recordMessage(message('/services/T/B/signups'));
    store.recordMessage(message('/services/T/B/alerts'));
    store.recordMessage(message('/services/T/B/signups'));

    expect(store.listMessages({ path: '/services/T/B/sign' }).map((m) => m.id)).toEqual([1, 3]);
    expect(store.listMessages({ since: 1 }).map((m) => m.id)).toEqual([2, 3]);
    expect(store.listMessages({ path: '/services/T/B/alerts', since: 2 })).toEqual([]);
  });

  it('clears messages and attempts but keeps ids increasing', () => {
    const store = new SinkStore();
    store.recordMessage(message('/services/x'));
    store.recordAttempt('/services/x', 200);
    store.clearMessages();

    expect(store.listMessages()).toEqual([]);
    expect(store.listAttempts()).toEqual([]);
    expect(store.recordMessage(message('/services/x')).id).toBe(2);
  });

  it('records attempts in order', () => {
    const store = new SinkStore();
    store.recordAttempt('/services/a', 429);
    store.recordAttempt('/services/a', 200);
    expect(store.listAttempts().map(({ id, path, status }) => ({ id, path, status }))).toEqual([
      { id: 1, path: '/services/a', status: 429 },
      { id: 2, path: '/services/a', status: 200 },
    ]);
  });
});

describe('SinkStore faults', () => {
  it('answers with the first matching fault and removes it when used up', () => {
    const store = new SinkStore();
    store.addFault({ path: '/services/T/B/alerts', status: 500, times: 2 });
    store.addFault({ status: 429, retryAfter: 3 });

    expect(store.takeFault('/services/T/B/signups')).toMatchObject({ status: 429, retryAfter: 3 });
    expect(store.takeFault('/services/T/B/signups')).toBeUndefined();
    expect(store.takeFault('/services/T/B/alerts')).toMatchObject({ status: 500, remaining: 1 });
    expect(store.takeFault('/services/T/B/alerts')).toMatchObject({ status: 500, remaining: 0 });
    expect(store.takeFault('/services/T/B/alerts')).toBeUndefined();
    expect(store.listFaults()).toEqual([]);
  });

  it('fills in defaults and lists faults without exposing its state', () => {
    const store = new SinkStore();
    const fault = store.addFault({ status: 404 });
    expect(fault).toEqual({
      id: 1,
      path: null,
      status: 404,
      body: 'no_service',
      retryAfter: null,
      delayMs: 0,
      remaining: 1,
    });
    (store.listFaults()[0] as { remaining: number }).remaining = 99;
    expect(store.listFaults()[0]?.remaining).toBe(1);
    store.clearFaults();
    expect(store.listFaults()).toEqual([]);
  });

  it.each([
    [403, 'invalid_token'],
    [404, 'no_service'],
    [410, 'channel_is_archived'],
    [429, 'rate_limited'],
    [500, 'internal_error'],
    [503, 'error'],
  ])('uses Slack’s body for status %i', (status, body) => {
    expect(defaultFaultBody(status)).toBe(body);
  });
});

describe('parseFaultSpec', () => {
  it('accepts a full spec', () => {
    const spec = {
      path: '/services/',
      status: 429,
      body: 'slow down',
      retryAfter: 1,
      times: 2,
      delayMs: 50,
    };
    expect(parseFaultSpec(spec)).toEqual(spec);
  });

  it.each([
    [null, 'JSON object'],
    [{}, 'status'],
    [{ status: 99 }, 'status'],
    [{ status: 500.5 }, 'status'],
    [{ status: 500, path: 3 }, 'path'],
    [{ status: 500, body: {} }, 'body'],
    [{ status: 429, retryAfter: -1 }, 'retryAfter'],
    [{ status: 500, times: 0 }, 'times'],
    [{ status: 500, delayMs: 'soon' }, 'delayMs'],
  ])('rejects %j naming %s', (value, field) => {
    expect(() => parseFaultSpec(value)).toThrow(InvalidFaultError);
    expect(() => parseFaultSpec(value)).toThrow(field);
  });
});

describe('channelOf', () => {
  it('takes the last non-empty segment', () => {
    expect(channelOf('/services/T000/B000/signups')).toBe('signups');
    expect(channelOf('/services/T000/B000/signups/')).toBe('signups');
  });
});
