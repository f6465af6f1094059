import {
  backoffDelay,
  deadLetterTopicName,
  DEFAULT_RETRY_POLICY,
  formatDelay,
  resolvePolicy,
  retryTiers,
  retryTopicName,
  tierFor,
  withJitter,
} from './policy';

const tutorial = resolvePolicy(DEFAULT_RETRY_POLICY, {
  maximumAttempts: 3,
  initialInterval: 'PT1S',
  maximumInterval: 'PT10S',
  backoffCoefficient: 2,
});

describe('retry policy', () => {
  it('reads ISO-8601 durations and keeps the rest of the base', () => {
    expect(tutorial.initialInterval).toBe(1000);
    expect(tutorial.maximumInterval).toBe(10_000);
    expect(tutorial.startToCloseTimeout).toBe(DEFAULT_RETRY_POLICY.startToCloseTimeout);
  });

  it('computes min(initial × coefficient^(n-1), maximum)', () => {
    const policy = resolvePolicy(DEFAULT_RETRY_POLICY, { maximumAttempts: 8, maximumInterval: 10_000 });
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(retryTiers(policy)).toEqual([1000, 2000, 4000, 8000, 10_000]);
  });

  it('has one tier per distinct delay, none for a single attempt', () => {
    expect(retryTiers(tutorial)).toEqual([1000, 2000]);
    expect(retryTiers(resolvePolicy(DEFAULT_RETRY_POLICY, { maximumAttempts: 1 }))).toEqual([]);
  });

  it('picks the smallest tier that waits long enough', () => {
    expect(tierFor([1000, 2000, 4000], 1500)).toBe(2000);
    expect(tierFor([1000, 2000, 4000], 1000)).toBe(1000);
    expect(tierFor([1000, 2000, 4000], 9000)).toBe(4000);
    expect(() => tierFor([], 1)).toThrow(RangeError);
  });

  it('spreads a delay by the jitter, within bounds', () => {
    expect(withJitter(1000, 0.2, () => 0)).toBe(800);
    expect(withJitter(1000, 0.2, () => 1)).toBe(1200);
    expect(withJitter(1000, 0, () => 0.7)).toBe(1000);
  });

  it.each([
    [{ maximumAttempts: 0 }, /maximumAttempts/],
    [{ maximumAttempts: 2.5 }, /maximumAttempts/],
    [{ backoffCoefficient: 0.5 }, /backoffCoefficient/],
    [{ initialInterval: 'soon' }, /ISO-8601/],
    [{ jitter: 1 }, /jitter/],
    [{ maximumInterval: 10, initialInterval: 1000 }, /maximumInterval/],
    [{ retries: 3 } as never, /unknown field "retries"/],
  ])('refuses %j', (input, message) => {
    expect(() => resolvePolicy(DEFAULT_RETRY_POLICY, input)).toThrow(message);
  });

  it('names retry and dead-letter topics after the group', () => {
    expect(retryTopicName('herald-email', 'user.created.v1', 2000)).toBe('herald-email.user.created.v1.retry.2s');
    expect(deadLetterTopicName('herald-slack', 'user.created.v1')).toBe('herald-slack.user.created.v1.dlq');
    expect([1500, 2000, 60_000, 7_200_000].map(formatDelay)).toEqual(['1500ms', '2s', '1m', '2h']);
  });
});
