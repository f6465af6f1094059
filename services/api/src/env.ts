import { Type } from '@sinclair/typebox';
import { ConfigError, loadEnv } from '@herald/config';
import { kafkaConnection, type KafkaConnection } from '@herald/kafka';
import { serviceEnvFields } from '@herald/service-kit';

/** The shortest admin token the api accepts: 32 characters, as `openssl rand -hex 16` makes. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** Tokens found in examples and old defaults: refused whatever their length. */
const KNOWN_TOKENS = new Set(['change-me', 'changeme', 'admin', 'password', 'secret', 'token', 'test-admin-token']);

/** TIMELINE_FETCH_WAIT_MS when not set, and the projector's own default. */
export const DEFAULT_TIMELINE_FETCH_WAIT_MS = 1000;

export const EnvSchema = Type.Object({
  ...serviceEnvFields(3000),
  /** Bearer token of the admin endpoints (alerts, dead letters): required, never defaulted. */
  ADMIN_TOKEN: Type.String({ default: '' }),
  /** Signup (POST /api/v1/users) without a credential, for a public form; rate-limited per address. */
  SIGNUP_OPEN: Type.Boolean({ default: false }),
  /** Signups a minute one API key (or the admin token) may make; more get 429 with Retry-After. */
  SIGNUP_RATE_LIMIT_PER_KEY: Type.Integer({ minimum: 1, default: 6000 }),
  /** Signups a minute one client address may make when SIGNUP_OPEN is on. */
  SIGNUP_RATE_LIMIT_PER_ADDRESS: Type.Integer({ minimum: 1, default: 10 }),
  /** How long a verified API key is trusted without asking the database: a revocation takes this long. */
  API_KEY_CACHE_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
  /** Outbox rows the relay claims and publishes per round. */
  OUTBOX_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  /**
   * Shortest time between two relay rounds while signups trickle in: rows written meanwhile go
   * to Kafka together in the next round. At 100 ms the email consumer, which fetches at most every
   * 50 ms, is waiting at the broker when a round's batch lands, and takes it at once. 0 starts a
   * round for every write.
   */
  OUTBOX_LINGER_MS: Type.Integer({ minimum: 0, maximum: 1000, default: 100 }),
  /** How often the relay looks at the outbox unwoken: rows another replica left unpublished. */
  OUTBOX_POLL_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000 }),
  /** The consumer group of the timeline projection (notification.status.v2 and the delivery events). */
  CONSUMER_GROUP: Type.String({ minLength: 1, default: 'herald-api-timeline' }),
  /**
   * How long the timeline projector's fetches wait for statuses to gather: the timeline may lag
   * by up to this much, in exchange for fewer fetches, inserts and offset commits.
   */
  TIMELINE_FETCH_WAIT_MS: Type.Integer({ minimum: 10, maximum: 5000, default: DEFAULT_TIMELINE_FETCH_WAIT_MS }),
  /** Where a new timeline group starts reading: earliest (default) or latest. */
  CONSUMER_START: Type.Union([Type.Literal('earliest'), Type.Literal('latest')], { default: 'earliest' }),
});

/** The environment as read, plus the Kafka connection it describes. */
export type Env = typeof EnvSchema.static & { KAFKA_CONNECTION: KafkaConnection };

/**
 * Why an admin token is refused, or undefined when it is strong enough: set, at least
 * MIN_ADMIN_TOKEN_LENGTH characters, not a known default, not one character repeated.
 */
export function weakAdminToken(token: string): string | undefined {
  if (token === '') return 'is not set';
  if (KNOWN_TOKENS.has(token.toLowerCase())) return 'is a known default';
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) return `is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters`;
  if (new Set(token).size < 8) return 'has fewer than 8 different characters';
  return undefined;
}

/**
 * Parses the api's environment; throws a ConfigError naming each bad variable. A missing or weak
 * ADMIN_TOKEN stops the api: the admin endpoints read personal data and raise alerts.
 */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Readonly<Env> {
  const env = loadEnv(EnvSchema, source);
  const weak = weakAdminToken(env.ADMIN_TOKEN);
  if (weak) throw new ConfigError([`ADMIN_TOKEN ${weak}: set it to a random secret of at least ${MIN_ADMIN_TOKEN_LENGTH} characters, such as the output of \`openssl rand -hex 32\``]);
  return Object.freeze({ ...env, KAFKA_CONNECTION: kafkaConnection(env) });
}
