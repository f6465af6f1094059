import { parseIsoDuration } from '@herald/config';

/**
 * How a handler is retried, with the fields Temporal users know (see DESIGN.md, "Retries and
 * dead letters"). Intervals and timeouts are milliseconds.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. 1 means no retry. */
  maximumAttempts: number;
  /** Delay before the second attempt. */
  initialInterval: number;
  /** Each further delay is the previous one times this. */
  backoffCoefficient: number;
  /** No delay is longer than this. */
  maximumInterval: number;
  /** Error codes or error class names that go to the dead-letter topic at once. */
  nonRetryableErrorTypes: readonly string[];
  /** Each delay is spread by ± this fraction (0.2 = ±20 %), so retries of a burst do not align. */
  jitter: number;
  /** One attempt is aborted after this. */
  startToCloseTimeout: number;
  /** All attempts together, from the first one, are given up after this. */
  scheduleToCloseTimeout: number;
  /** A message that waited longer than this before its first attempt is given up. */
  scheduleToStartTimeout: number;
}

/** Sensible defaults: 5 attempts over about 15 s, a 30 s attempt, one hour in all. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maximumAttempts: 5,
  initialInterval: 1000,
  backoffCoefficient: 2,
  maximumInterval: 60_000,
  nonRetryableErrorTypes: [],
  jitter: 0.2,
  startToCloseTimeout: 30_000,
  scheduleToCloseTimeout: 3_600_000,
  scheduleToStartTimeout: 86_400_000,
});

const DURATION_FIELDS = [
  'initialInterval',
  'maximumInterval',
  'startToCloseTimeout',
  'scheduleToCloseTimeout',
  'scheduleToStartTimeout',
] as const;

/** A policy as written in configuration: durations as ISO-8601 text or milliseconds. */
export type RetryPolicyInput = Partial<
  Omit<RetryPolicy, (typeof DURATION_FIELDS)[number]> & Record<(typeof DURATION_FIELDS)[number], number | string>
>;

/**
 * Merges partial policies over a base and checks the result; throws a RangeError naming the
 * field. Later inputs win.
 */
export function resolvePolicy(base: RetryPolicy, ...inputs: (RetryPolicyInput | undefined)[]): RetryPolicy {
  const merged: Record<string, unknown> = { ...base };
  for (const input of inputs) {
    if (!input) continue;
    for (const [field, value] of Object.entries(input)) {
      if (value === undefined) continue;
      if (!(field in DEFAULT_RETRY_POLICY)) throw new RangeError(`retry policy: unknown field "${field}"`);
      merged[field] =
        (DURATION_FIELDS as readonly string[]).includes(field) && typeof value === 'string'
          ? parseIsoDuration(value)
          : value;
    }
  }
  const policy = merged as unknown as RetryPolicy;
  const positive = (field: keyof RetryPolicy, min: number): void => {
    const value = policy[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      throw new RangeError(`retry policy: ${field} must be a number ≥ ${min}, not ${JSON.stringify(value)}`);
    }
  };
  positive('maximumAttempts', 1);
  if (!Number.isInteger(policy.maximumAttempts)) throw new RangeError('retry policy: maximumAttempts must be an integer');
  positive('initialInterval', 1);
  positive('backoffCoefficient', 1);
  positive('maximumInterval', policy.initialInterval);
  positive('startToCloseTimeout', 1);
  positive('scheduleToCloseTimeout', 1);
  positive('scheduleToStartTimeout', 1);
  if (!(policy.jitter >= 0 && policy.jitter < 1)) throw new RangeError('retry policy: jitter must be in [0, 1)');
  if (!Array.isArray(policy.nonRetryableErrorTypes)) {
    throw new RangeError('retry policy: nonRetryableErrorTypes must be a list');
  }
  return Object.freeze(policy);
}

/** Nominal delay before attempt `failedAttempt + 1`: min(initial × coefficient^(n-1), maximum). */
export function backoffDelay(policy: RetryPolicy, failedAttempt: number): number {
  const raw = policy.initialInterval * policy.backoffCoefficient ** (failedAttempt - 1);
  return Math.round(Math.min(raw, policy.maximumInterval));
}

/** `delay` spread by ± the policy's jitter. */
export function withJitter(delay: number, jitter: number, random: () => number = Math.random): number {
  return Math.max(0, Math.round(delay * (1 - jitter + 2 * jitter * random())));
}

/** The distinct nominal delays a policy can ask for: one retry topic each. */
export function retryTiers(policy: RetryPolicy): number[] {
  const tiers = new Set<number>();
  for (let n = 1; n < policy.maximumAttempts; n += 1) tiers.add(backoffDelay(policy, n));
  return [...tiers].sort((a, b) => a - b);
}

/** The smallest tier that waits at least `wanted`, or the largest (the not-before header still holds). */
export function tierFor(tiers: readonly number[], wanted: number): number {
  const found = tiers.find((t) => t >= wanted);
  const last = tiers[tiers.length - 1];
  if (last === undefined) throw new RangeError('a policy with one attempt has no retry tier');
  return found ?? last;
}

/** `1500` → `1500ms`, `2000` → `2s`, `60000` → `1m`, `3600000` → `1h`. */
export function formatDelay(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `<group>.<topic>.retry.<delay>`: retry topics belong to the consumer group, not the source. */
export function retryTopicName(group: string, topic: string, delay: number): string {
  return `${group}.${topic}.retry.${formatDelay(delay)}`;
}

/** `<group>.<topic>.dlq` */
export function deadLetterTopicName(group: string, topic: string): string {
  return `${group}.${topic}.dlq`;
}

/**
 * Reads a policy from configuration text (the RETRY_POLICY variable): a JSON object of policy
 * fields, durations as ISO-8601 text or milliseconds. Throws a RangeError naming `variable`.
 */
export function parsePolicyInput(text: string, variable = 'RETRY_POLICY'): RetryPolicyInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RangeError(`${variable} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RangeError(`${variable} must be a JSON object of retry policy fields`);
  }
  try {
    resolvePolicy(DEFAULT_RETRY_POLICY, parsed);
  } catch (error) {
    throw new RangeError(`${variable}: ${(error as Error).message}`, { cause: error });
  }
  return parsed;
}
