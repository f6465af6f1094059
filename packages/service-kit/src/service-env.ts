import { Type } from '@sinclair/typebox';
import { databaseUrlField } from '@herald/config';
import { KafkaEnvSchema } from '@herald/kafka';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The variables every Herald service reads (where it listens, how it logs, its database and its
 * Kafka): spread them into the service's env schema, `Type.Object({ ...serviceEnvFields(3001), ... })`.
 */
export function serviceEnvFields(port: number) {
  return {
    HOST: Type.String({ default: '127.0.0.1' }),
    PORT: Type.Integer({ minimum: 0, maximum: 65535, default: port }),
    LOG_LEVEL: Type.Union(
      LOG_LEVELS.map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    /** json: one JSON object a line (default). pretty: coloured text, for `npm run dev`. */
    LOG_FORMAT: Type.Union([Type.Literal('json'), Type.Literal('pretty')], { default: 'json' }),
    /** Required: it carries the database's password, so no default stands in for it. */
    DATABASE_URL: databaseUrlField(),
    /** KAFKA_BROKERS, and the TLS and SASL settings every Kafka client shares. */
    ...KafkaEnvSchema,
  };
}
