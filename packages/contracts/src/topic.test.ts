import {
  ContractViolationError,
  decodeEvent,
  encodeEvent,
  followUpOf,
  MAX_EVENT_BYTES,
  newEvent,
  SCHEDULABLE_TOPICS,
  topics,
  UserCreated,
  UserCreatedV2,
  EmailSentV2,
  FollowUpRequestedV2,
} from './index';

const data = {
  userId: '3f0c7a52-8a4e-4c8e-9d43-0c5b7f1f2a11',
  email: 'ada@example.com',
  username: 'ada.l',
  fullName: 'Ada Lovelace',
  createdAt: '2026-11-28T10:00:00.000Z',
};

describe('topics', () => {
  it('carry their version in the name and are unique', () => {
    for (const topic of topics) expect(topic.name).toMatch(new RegExp(`\\.v${topic.version}$`));
    expect(new Set(topics.map((t) => t.name)).size).toBe(topics.length);
    expect(UserCreated.name).toBe('user.created.v1');
  });
});

describe('newEvent', () => {
  it('builds a valid envelope that starts its own correlation', () => {
    const event = newEvent(UserCreated, data, undefined, new Date('2026-11-28T10:00:01Z'));
    expect(event).toMatchObject({
      type: 'UserCreated',
      version: 1,
      occurredAt: '2026-11-28T10:00:01.000Z',
      correlationId: event.id,
      causationId: null,
      data,
    });
  });

  it('links a caused event to its cause', () => {
    const cause = newEvent(UserCreated, data);
    const next = newEvent(UserCreated, data, followUpOf(cause));
    expect(next.correlationId).toBe(cause.correlationId);
    expect(next.causationId).toBe(cause.id);
  });

  it('refuses data that does not match the schema', () => {
    expect(() => newEvent(UserCreated, { ...data, email: 'not-an-email' })).toThrow(ContractViolationError);
  });
});

describe('encodeEvent / decodeEvent', () => {
  it('round-trips an event', () => {
    const event = newEvent(UserCreated, data);
    expect(decodeEvent(UserCreated, encodeEvent(UserCreated, event))).toEqual(event);
  });

  it.each([
    ['no value', null, /has no value/],
    ['an empty value', Buffer.alloc(0), /has no value/],
    ['not JSON', Buffer.from('{nope'), /is not JSON/],
    ['a wrong type', Buffer.from(JSON.stringify({ ...newEvent(UserCreated, data), type: 'Other' })), /\/type/],
    ['an extra field', Buffer.from(JSON.stringify({ ...newEvent(UserCreated, data), extra: 1 })), /extra|additional/i],
    ['a missing field', Buffer.from(JSON.stringify({ ...newEvent(UserCreated, data), data: { ...data, email: undefined } })), /\/data\/email/],
    ['too large', Buffer.alloc(MAX_EVENT_BYTES + 1, 32), /more than/],
  ])('refuses %s with a reason, never retriable', (_what, value, reason) => {
    let caught: unknown;
    try {
      decodeEvent(UserCreated, value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ContractViolationError);
    expect((caught as ContractViolationError).retriable).toBe(false);
    expect((caught as ContractViolationError).code).toBe('CONTRACT_VIOLATION');
    expect((caught as Error).message).toMatch(reason);
  });

  it.each([
    ['CR/LF in the full name', { fullName: 'Eve\r\nBcc: all@example.com' }],
    ['a username with spaces', { username: 'eve smith' }],
    ['an over-long full name', { fullName: 'x'.repeat(101) }],
    ['a blank full name', { fullName: '   ' }],
    ['a user id that is not a uuid', { userId: '42' }],
  ])('refuses %s', (_what, change) => {
    expect(() => newEvent(UserCreated, { ...data, ...change })).toThrow(ContractViolationError);
  });

  it('accepts markup in a full name: escaping is the renderer’s job', () => {
    expect(() => newEvent(UserCreated, { ...data, fullName: '<script>alert(1)</script> <!channel>' })).not.toThrow();
  });
});

describe('the events about a user', () => {
  it('carry their id and no personal data from v2 on, so Kafka never holds an address', () => {
    for (const topic of [UserCreatedV2, EmailSentV2, FollowUpRequestedV2]) {
      const fields = Object.keys((topic.data as { properties: object }).properties);
      expect({ topic: topic.name, personal: fields.filter((f) => ['email', 'username', 'fullName', 'recipient'].includes(f)) }).toEqual({ topic: topic.name, personal: [] });
    }
    expect(() => newEvent(UserCreatedV2, data as never)).toThrow(ContractViolationError);
    expect(newEvent(UserCreatedV2, { userId: data.userId, createdAt: data.createdAt }).data).toEqual({ userId: data.userId, createdAt: data.createdAt });
  });

  it('may be scheduled only as a follow-up.requested.v2, which holds no address', () => {
    expect(SCHEDULABLE_TOPICS.map((t) => t.name)).toEqual(['follow-up.requested.v2']);
  });
});
