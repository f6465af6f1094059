import { Type } from '@sinclair/typebox';
import { loadEnv } from '@herald/config';
import { kafkaConnection, type KafkaConnection } from '@herald/kafka';
import { consumerEnvFields, fetchPaceField } from '@herald/consumer';
import { serviceEnvFields } from '@herald/service-kit';

export const EnvSchema = Type.Object({
  ...serviceEnvFields(3002),
  SLACK_SIGNUPS_WEBHOOK_URL: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:8026/services/T000/B000/signups',
  }),
  SLACK_ALERTS_WEBHOOK_URL: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:8026/services/T000/B000/alerts',
  }),
  ...consumerEnvFields('herald-slack'),
  /** The fetch pace (fetchPaceField): people read what it posts, and 200 ms is lost on them. */
  FETCH_PACE_MS: fetchPaceField(200),
});

/** The environment as read, plus the Kafka connection it describes. */
export type Env = typeof EnvSchema.static & { KAFKA_CONNECTION: KafkaConnection };

/** Parses the slack service's environment; throws a ConfigError naming each bad variable. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Readonly<Env> {
  const env = loadEnv(EnvSchema, source);
  return Object.freeze({ ...env, KAFKA_CONNECTION: kafkaConnection(env) });
}
