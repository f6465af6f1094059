import { Type } from '@sinclair/typebox';
import { loadEnv, secretField } from '@herald/config';
import { kafkaConnection, type KafkaConnection } from '@herald/kafka';
import { consumerEnvFields } from '@herald/consumer';
import { serviceEnvFields } from '@herald/service-kit';

export const EnvSchema = Type.Object({
  ...serviceEnvFields(3001),
  /** Never printed: it may carry the SMTP login (smtp://user:password@host:587). */
  SMTP_URL: secretField(Type.String({ pattern: '^smtps?://', default: 'smtp://127.0.0.1:1025' })),
  SMTP_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 30 }),
  MAIL_FROM: Type.String({ minLength: 3, default: 'Herald <no-reply@herald.local>' }),
  ADMIN_EMAIL: Type.String({ format: 'email', default: 'admin@herald.local' }),
  ...consumerEnvFields('herald-email'),
});

/** The environment as read, plus the Kafka connection it describes. */
export type Env = typeof EnvSchema.static & { KAFKA_CONNECTION: KafkaConnection };

/** Parses the email service's environment; throws a ConfigError naming each bad variable. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Readonly<Env> {
  const env = loadEnv(EnvSchema, source);
  return Object.freeze({ ...env, KAFKA_CONNECTION: kafkaConnection(env) });
}
