import { Type } from '@sinclair/typebox';
import { loadEnv, secretField } from '@herald/config';
import { kafkaConnection, type KafkaConnection } from '@herald/kafka';
import { consumerEnvFields, fetchPaceField } from '@herald/consumer';
import { serviceEnvFields } from '@herald/service-kit';

function webhookField(channel: string) {
  return secretField(
    Type.String({
      pattern: '^https?://',
      description: `set it to the incoming-webhook URL of the Slack channel for ${channel}; there is no default`,
    }),
  );
}

export const EnvSchema = Type.Object({
  ...serviceEnvFields(3002),
  /** Required and never printed: a Slack webhook URL is the credential that posts to its channel. */
  SLACK_SIGNUPS_WEBHOOK_URL: webhookField('signups'),
  SLACK_ALERTS_WEBHOOK_URL: webhookField('alerts'),
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
