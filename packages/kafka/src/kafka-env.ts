import fs from 'node:fs';
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { ConfigError } from '@herald/config';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { parseBrokers, type KafkaSecurity } from './client';

/**
 * The variables every Kafka client of Herald reads, the same in every service and command: spread
 * them into an env schema (`Type.Object({ ...KafkaEnvSchema, ... })`), then pass what was read to
 * `kafkaConnection`. The password has no constraint here on purpose: loadEnv quotes the value of a
 * variable that fails its schema, and a password must never be quoted.
 */
export const KafkaEnvSchema = {
  /** Comma-separated `host:port` pairs. */
  KAFKA_BROKERS: Type.String({ minLength: 1, default: '127.0.0.1:9092' }),
  /** scram-sha-256, scram-sha-512 or plain (with KAFKA_TLS only); unset: no authentication. */
  KAFKA_SASL_MECHANISM: Type.String({ default: '' }),
  KAFKA_SASL_USERNAME: Type.String({ default: '' }),
  KAFKA_SASL_PASSWORD: Type.String({ default: '' }),
  /** true: connect over TLS, checking the broker's certificate against the system's CAs or KAFKA_TLS_CA_FILE. */
  KAFKA_TLS: Type.Boolean({ default: false }),
  /** A PEM file of the CA certificates the broker's certificate must chain to. */
  KAFKA_TLS_CA_FILE: Type.String({ default: '' }),
};

export type KafkaEnv = Static<TObject<typeof KafkaEnvSchema>>;

/** Where a client finds Kafka and how it proves who it is: what `createKafka` takes besides its name. */
export interface KafkaConnection {
  brokers: string[];
  security: KafkaSecurity;
}

const MECHANISMS = ['scram-sha-256', 'scram-sha-512', 'plain'] as const;
type Mechanism = (typeof MECHANISMS)[number];

/**
 * Checks the Kafka variables together and turns them into a connection, or throws a ConfigError
 * naming every bad one. It fails closed: a mechanism without a user name or password, credentials
 * without a mechanism, PLAIN without TLS, or a CA file without TLS stop the service instead of
 * connecting with less protection than was asked for. No message quotes the password.
 */
export function kafkaConnection(env: Readonly<KafkaEnv>): KafkaConnection {
  const problems: string[] = [];
  let brokers: string[] = [];
  try {
    brokers = parseBrokers(env.KAFKA_BROKERS);
  } catch (error) {
    problems.push(`KAFKA_BROKERS is ${JSON.stringify(env.KAFKA_BROKERS)}: ${(error as Error).message}`);
  }
  const sasl = saslOptions(env, problems);
  const ssl = tlsOptions(env, problems);
  if (sasl?.mechanism === 'plain' && !env.KAFKA_TLS) {
    problems.push('KAFKA_SASL_MECHANISM is "plain": PLAIN sends the password as it is, so it needs KAFKA_TLS=true');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { brokers, security: { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) } };
}

function saslOptions(env: Readonly<KafkaEnv>, problems: string[]): SASLOptions | undefined {
  const mechanism = env.KAFKA_SASL_MECHANISM.trim().toLowerCase();
  const username = env.KAFKA_SASL_USERNAME;
  const password = env.KAFKA_SASL_PASSWORD;
  if (mechanism === '') {
    const given = (['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const).filter((name) => env[name] !== '');
    if (given.length > 0) {
      problems.push(`KAFKA_SASL_MECHANISM is not set but ${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'}: set it to ${MECHANISMS.join(', ')}, or unset the credentials`);
    }
    return undefined;
  }
  if (!MECHANISMS.includes(mechanism as Mechanism)) {
    problems.push(`KAFKA_SASL_MECHANISM is ${JSON.stringify(env.KAFKA_SASL_MECHANISM)}: must be one of ${MECHANISMS.join(', ')}`);
    return undefined;
  }
  if (username.trim() === '') problems.push(`KAFKA_SASL_USERNAME is not set: KAFKA_SASL_MECHANISM=${mechanism} needs it`);
  if (password.trim() === '') problems.push(`KAFKA_SASL_PASSWORD is not set: KAFKA_SASL_MECHANISM=${mechanism} needs it`);
  return { mechanism: mechanism as Mechanism, username, password };
}

function tlsOptions(env: Readonly<KafkaEnv>, problems: string[]): KafkaConfig['ssl'] {
  const caFile = env.KAFKA_TLS_CA_FILE;
  if (!env.KAFKA_TLS) {
    if (caFile !== '') problems.push('KAFKA_TLS_CA_FILE is set but KAFKA_TLS is not true: set KAFKA_TLS=true to connect over TLS');
    return undefined;
  }
  if (caFile === '') return true;
  let pem: string;
  try {
    pem = fs.readFileSync(caFile, 'utf8');
  } catch (error) {
    problems.push(`KAFKA_TLS_CA_FILE is ${JSON.stringify(caFile)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    return undefined;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    problems.push(`KAFKA_TLS_CA_FILE is ${JSON.stringify(caFile)}: holds no PEM certificate`);
    return undefined;
  }
  return { ca: [pem] };
}
