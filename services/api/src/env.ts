import { Type } from '@sinclair/typebox';
import { loadEnv } from '@herald/config';

export const EnvSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  DATABASE_URL: Type.String({
    pattern: '^postgres(ql)?://',
    default: 'postgres://herald:herald@127.0.0.1:5432/herald',
  }),
  KAFKA_BROKERS: Type.String({ minLength: 1, default: '127.0.0.1:9092' }),
});

export type Env = typeof EnvSchema.static;

/** Parses the api's environment; throws a ConfigError naming each bad variable. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Readonly<Env> {
  return loadEnv(EnvSchema, source);
}
