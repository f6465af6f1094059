import { Type } from '@sinclair/typebox';
import { loadEnv } from '@herald/config';
import { KafkaEnvSchema, kafkaConnection, type KafkaConnection } from '@herald/kafka';

export const EnvSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3002 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /** json: one JSON object a line (default). pretty: coloured text, for `npm run dev`. */
  LOG_FORMAT: Type.Union([Type.Literal('json'), Type.Literal('pretty')], { default: 'json' }),
  DATABASE_URL: Type.String({
    pattern: '^postgres(ql)?://',
    default: 'postgres://herald:herald@127.0.0.1:5432/herald',
  }),
  /** KAFKA_BROKERS, and the TLS and SASL settings every Kafka client shares. */
  ...KafkaEnvSchema,
  SLACK_SIGNUPS_WEBHOOK_URL: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:8026/services/T000/B000/signups',
  }),
  SLACK_ALERTS_WEBHOOK_URL: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:8026/services/T000/B000/alerts',
  }),
  /** JSON retry policy over the handlers' own, durations as ISO-8601: {"maximumAttempts":3,"initialInterval":"PT1S"}. */
  RETRY_POLICY: Type.String({ default: '{}' }),
  /** Where a new consumer group starts reading: earliest (default) or latest. */
  CONSUMER_START: Type.Union([Type.Literal('earliest'), Type.Literal('latest')], { default: 'earliest' }),
  CONSUMER_GROUP: Type.String({ minLength: 1, default: 'herald-slack' }),
  /**
   * Shortest time between two fetches that brought messages (ms): what comes meanwhile goes in the
   * next fetch, together. People read what it posts, and 200 ms is lost on them, where each fetch
   * costs the service, the broker and the database a round whatever it brings.
   */
  FETCH_PACE_MS: Type.Integer({ minimum: 10, maximum: 5000, default: 200 }),
});

/** The environment as read, plus the Kafka connection it describes. */
export type Env = typeof EnvSchema.static & { KAFKA_CONNECTION: KafkaConnection };

/** Parses the slack service's environment; throws a ConfigError naming each bad variable. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Readonly<Env> {
  const env = loadEnv(EnvSchema, source);
  return Object.freeze({ ...env, KAFKA_CONNECTION: kafkaConnection(env) });
}
