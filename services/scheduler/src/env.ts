import { Type } from '@sinclair/typebox';
import { ConfigError, loadEnv, parseIsoDuration } from '@herald/config';
import { kafkaConnection, type KafkaConnection } from '@herald/kafka';
import { consumerEnvFields, fetchPaceField } from '@herald/consumer';
import { serviceEnvFields } from '@herald/service-kit';
import { SCHEDULABLE_TOPICS } from '@herald/contracts';
import { nextCronTime } from './cron';

export const EnvSchema = Type.Object({
  ...serviceEnvFields(3003),
  ...consumerEnvFields('herald-scheduler'),
  /**
   * Shortest time between two fetches of the events the scheduler stores (sent emails, schedule
   * and cancel requests, deleted users): what comes meanwhile is stored together, in one round of
   * each kind. What it stores falls due later, so the wait delays no message sent on time; a
   * schedule request due sooner than this is late by up to it.
   */
  INTAKE_FETCH_PACE_MS: fetchPaceField(500),
  /** ISO-8601 duration from the welcome email to its follow-up (P3D; PT30S for a demo). */
  FOLLOW_UP_DELAY: Type.String({ minLength: 2, default: 'P3D' }),
  /** Scheduled messages claimed and published per transaction. */
  DISPATCH_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 2000 }),
  /**
   * Shortest time between two dispatch rounds while rows trickle in: rows falling due meanwhile
   * go out together in the next round. 0 starts a round for every due time.
   */
  DISPATCH_LINGER_MS: Type.Integer({ minimum: 0, maximum: 1000, default: 200 }),
  /** Longest the dispatcher sleeps without looking at the table: what another replica schedules waits at most this. */
  DISPATCH_MAX_IDLE_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  /** ISO-8601 duration processed_events rows are kept (the consumers' deduplication window). */
  PROCESSED_EVENTS_RETENTION: Type.String({ minLength: 2, default: 'P7D' }),
  /** ISO-8601 duration the api's idempotency keys are kept (a retry later than this is a new request). */
  IDEMPOTENCY_KEY_RETENTION: Type.String({ minLength: 2, default: 'P1D' }),
  /** ISO-8601 duration the api's outbox rows are kept once published. */
  OUTBOX_RETENTION: Type.String({ minLength: 2, default: 'P7D' }),
  /** ISO-8601 duration the notification timeline keeps a step, from when it happened. */
  TIMELINE_RETENTION: Type.String({ minLength: 2, default: 'P90D' }),
  /** ISO-8601 duration scheduled messages are kept once dispatched or cancelled. */
  SCHEDULED_MESSAGES_RETENTION: Type.String({ minLength: 2, default: 'P7D' }),
  /**
   * ISO-8601 duration a consumer's owed messages are kept when no consumer of its group publishes
   * them (a group that stopped for good): past it they are deleted, unsent.
   */
  CONSUMER_OUTBOX_RETENTION: Type.String({ minLength: 2, default: 'P7D' }),
  /** ISO-8601 duration a redrive is remembered: longer than the dead-letter topics keep their letters. */
  DEAD_LETTER_REDRIVES_RETENTION: Type.String({ minLength: 2, default: 'P30D' }),
  /**
   * Comma-separated topics a schedule.requested may target, among the contracts' SCHEDULABLE_TOPICS
   * (the default: all of them); `none` refuses every request. Anything else is dead-lettered.
   */
  SCHEDULE_REQUEST_TOPICS: Type.String({ default: SCHEDULABLE_TOPICS.map((t) => t.name).join(',') }),
  /** Cron expression (UTC) of the cleanups, each of which applies one of the retentions above. */
  CLEANUP_CRON: Type.String({ minLength: 1, default: '0 3 * * *' }),
});

/** The retentions of the recurring cleanups. */
const RETENTIONS = [
  'PROCESSED_EVENTS_RETENTION',
  'IDEMPOTENCY_KEY_RETENTION',
  'OUTBOX_RETENTION',
  'TIMELINE_RETENTION',
  'SCHEDULED_MESSAGES_RETENTION',
  'DEAD_LETTER_REDRIVES_RETENTION',
  'CONSUMER_OUTBOX_RETENTION',
] as const;
type RetentionsMs = Record<`${(typeof RETENTIONS)[number]}_MS`, number>;

/** The environment as read, plus the durations it names in milliseconds. */
export type Env = typeof EnvSchema.static &
  RetentionsMs & {
    FOLLOW_UP_DELAY_MS: number;
    /** SCHEDULE_REQUEST_TOPICS as a list. */
    SCHEDULE_REQUEST_TOPIC_NAMES: readonly string[];
    KAFKA_CONNECTION: KafkaConnection;
  };

// Shorter than this, a redelivered event could outlive its deduplication record (and a shorter
// retention of the other tables is more likely a slip than a wish).
const MIN_RETENTION_MS = 3_600_000;

/** Parses the scheduler service's environment; throws a ConfigError naming each bad variable. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Readonly<Env> {
  const env = loadEnv(EnvSchema, source);
  const problems: string[] = [];
  const duration = (name: 'FOLLOW_UP_DELAY' | (typeof RETENTIONS)[number]): number => {
    try {
      return parseIsoDuration(env[name]);
    } catch (error) {
      problems.push(`${name} ${(error as Error).message}`);
      return NaN;
    }
  };
  const followUpDelayMs = duration('FOLLOW_UP_DELAY');
  const retentionsMs = Object.fromEntries(
    RETENTIONS.map((name) => {
      const ms = duration(name);
      if (ms < MIN_RETENTION_MS) problems.push(`${name} is "${env[name]}": must be at least PT1H`);
      return [`${name}_MS`, ms];
    }),
  ) as RetentionsMs;
  const scheduleTopics =
    env.SCHEDULE_REQUEST_TOPICS.trim() === 'none' ? [] : env.SCHEDULE_REQUEST_TOPICS.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const schedulable = SCHEDULABLE_TOPICS.map((t) => t.name);
  for (const topic of scheduleTopics) {
    if (!schedulable.includes(topic)) {
      problems.push(`SCHEDULE_REQUEST_TOPICS names "${topic}": only ${schedulable.join(', ')} may be scheduled`);
    }
  }
  try {
    nextCronTime(env.CLEANUP_CRON, new Date());
  } catch (error) {
    problems.push(`CLEANUP_CRON ${(error as Error).message}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    ...env,
    KAFKA_CONNECTION: kafkaConnection(env),
    FOLLOW_UP_DELAY_MS: followUpDelayMs,
    ...retentionsMs,
    SCHEDULE_REQUEST_TOPIC_NAMES: Object.freeze(scheduleTopics),
  });
}
