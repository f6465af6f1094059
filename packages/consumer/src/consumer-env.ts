import { Type } from '@sinclair/typebox';

/**
 * The variables every consumer service reads besides serviceEnvFields: its group, where a new
 * group starts, and the retry policy over its handlers' own (parsed by `parsePolicyInput`).
 */
export function consumerEnvFields(group: string) {
  return {
    /** JSON retry policy over the handlers' own, durations as ISO-8601: {"maximumAttempts":3,"initialInterval":"PT1S"}. */
    RETRY_POLICY: Type.String({ default: '{}' }),
    /** Where a new consumer group starts reading: earliest (default) or latest. */
    CONSUMER_START: Type.Union([Type.Literal('earliest'), Type.Literal('latest')], { default: 'earliest' }),
    CONSUMER_GROUP: Type.String({ minLength: 1, default: group }),
  };
}

/**
 * A consumer's fetch pace in milliseconds (ConsumerRunnerOptions.fetchPaceMs), 10 ms to 5 s:
 * the shortest time between two fetches that brought messages. What comes meanwhile goes in the
 * next fetch, together; each fetch costs the service, the broker and the database a round
 * whatever it brings.
 */
export function fetchPaceField(defaultMs: number) {
  return Type.Integer({ minimum: 10, maximum: 5000, default: defaultMs });
}
