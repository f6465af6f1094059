import { ConfigError } from '@herald/config';
import { readEnv as readGiven } from './env';

/** What the service requires, with no default: the test of each variable adds its own. */
const REQUIRED = {
  DATABASE_URL: 'postgres://herald:pw@db:5432/herald',
};
const readEnv = (source: NodeJS.ProcessEnv) => readGiven({ ...REQUIRED, ...source });

describe('scheduler env', () => {
  it('has defaults for everything but the database, durations in milliseconds', () => {
    const env = readEnv({});
    expect(env).toMatchObject({
      FOLLOW_UP_DELAY: 'P3D',
      FOLLOW_UP_DELAY_MS: 3 * 86_400_000,
      DISPATCH_BATCH_SIZE: 2000,
      DISPATCH_MAX_IDLE_MS: 30_000,
      DISPATCH_LINGER_MS: 200,
      INTAKE_FETCH_PACE_MS: 500,
      PROCESSED_EVENTS_RETENTION_MS: 7 * 86_400_000,
      IDEMPOTENCY_KEY_RETENTION_MS: 86_400_000,
      OUTBOX_RETENTION_MS: 7 * 86_400_000,
      TIMELINE_RETENTION_MS: 90 * 86_400_000,
      SCHEDULED_MESSAGES_RETENTION_MS: 7 * 86_400_000,
      DEAD_LETTER_REDRIVES_RETENTION_MS: 30 * 86_400_000,
      CONSUMER_OUTBOX_RETENTION_MS: 7 * 86_400_000,
      CLEANUP_CRON: '0 3 * * *',
      CONSUMER_GROUP: 'herald-scheduler',
      SCHEDULE_REQUEST_TOPIC_NAMES: ['follow-up.requested.v2'],
    });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('stops without DATABASE_URL: it carries a password, so nothing stands in for it', () => {
    expect(() => readGiven({})).toThrow(/^invalid configuration: DATABASE_URL is not set: set it to the PostgreSQL connection/);
  });

  it('lets a deployment narrow the schedulable topics, never widen them', () => {
    expect(readEnv({ SCHEDULE_REQUEST_TOPICS: 'none' }).SCHEDULE_REQUEST_TOPIC_NAMES).toEqual([]);
    expect(() => readEnv({ SCHEDULE_REQUEST_TOPICS: 'follow-up.requested.v2, alert.raised.v1' })).toThrow(
      /SCHEDULE_REQUEST_TOPICS names "alert.raised.v1": only follow-up.requested.v2 may be scheduled/,
    );
  });

  it('reads a short follow-up delay for demos and tests', () => {
    expect(readEnv({ FOLLOW_UP_DELAY: 'PT30S', DISPATCH_BATCH_SIZE: '50' })).toMatchObject({
      FOLLOW_UP_DELAY_MS: 30_000,
      DISPATCH_BATCH_SIZE: 50,
    });
  });

  it('names each bad variable before anything connects', () => {
    let error: unknown;
    try {
      readEnv({
        FOLLOW_UP_DELAY: '3 days',
        PROCESSED_EVENTS_RETENTION: 'PT5M',
        CLEANUP_CRON: 'daily',
        DISPATCH_BATCH_SIZE: '0',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/DISPATCH_BATCH_SIZE/);
    expect(() => readEnv({ FOLLOW_UP_DELAY: '3 days' })).toThrow(
      /FOLLOW_UP_DELAY "3 days" is not an ISO-8601 duration/,
    );
    expect(() => readEnv({ PROCESSED_EVENTS_RETENTION: 'PT5M' })).toThrow(
      /PROCESSED_EVENTS_RETENTION .*at least PT1H/,
    );
    expect(() => readEnv({ IDEMPOTENCY_KEY_RETENTION: 'PT1M' })).toThrow(
      /IDEMPOTENCY_KEY_RETENTION .*at least PT1H/,
    );
    expect(() => readEnv({ OUTBOX_RETENTION: 'PT0S', TIMELINE_RETENTION: 'ninety days' })).toThrow(
      /OUTBOX_RETENTION is "PT0S": must be at least PT1H.*TIMELINE_RETENTION "ninety days" is not an ISO-8601 duration/,
    );
    expect(() => readEnv({ CLEANUP_CRON: 'daily' })).toThrow(
      /CLEANUP_CRON "daily" is not a cron expression/,
    );
  });

  it('reads the Kafka connection, and refuses a SASL mechanism without its password', () => {
    expect(readEnv({}).KAFKA_CONNECTION).toEqual({ brokers: ['127.0.0.1:9092'], security: {} });
    const sasl = { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'herald' };
    expect(readEnv({ ...sasl, KAFKA_SASL_PASSWORD: 's3cret-s3cret' }).KAFKA_CONNECTION.security).toEqual({
      sasl: { mechanism: 'scram-sha-512', username: 'herald', password: 's3cret-s3cret' },
    });
    expect(() => readEnv(sasl)).toThrow(/^invalid configuration: KAFKA_SASL_PASSWORD is not set: KAFKA_SASL_MECHANISM=scram-sha-512 needs it$/);
  });
});
