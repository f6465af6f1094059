import { requiredEnv } from './required-env.ts';

/**
 * What the BullMQ peer shares between its api and workers: queue names, the retry policy (the
 * same as Herald's handlers get in the bench), and the Redis connection. The peer reads its
 * settings from the environment the harness gives it.
 */
export const QUEUES = { email: 'email', slack: 'slack', drain: 'drain' } as const;

/** 5 attempts, 1 s then ×2: the policy the bench gives Herald's handlers too (jitter 0). */
export const RETRY = { attempts: 5, backoff: { type: 'exponential', delay: 1000 } } as const;

export interface PeerSettings {
  redisHost: string;
  redisPort: number;
  /** Key prefix of every queue: one per bench run. */
  prefix: string;
  databaseUrl: string;
  smtpUrl: string;
  slackWebhookUrl: string;
  followUpDelayMs: number;
  port: number;
}

/** Reads the peer's settings; throws naming a missing variable. */
export function readPeerSettings(env: NodeJS.ProcessEnv = process.env): Readonly<PeerSettings> {
  const redis = new URL(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  return Object.freeze({
    redisHost: redis.hostname,
    redisPort: Number(redis.port || 6379),
    prefix: env.QUEUE_PREFIX ?? 'bench',
    databaseUrl: requiredEnv(env, 'DATABASE_URL', 'peer'),
    smtpUrl: env.SMTP_URL ?? 'smtp://127.0.0.1:1025',
    slackWebhookUrl: env.SLACK_WEBHOOK_URL ?? 'http://127.0.0.1:8026/services/T000/B000/signups',
    followUpDelayMs: Number(env.FOLLOW_UP_DELAY_MS ?? 10_000),
    port: Number(env.PORT ?? 0),
  });
}

/** ioredis options BullMQ needs (workers block on Redis, so no per-request retry limit). */
export function connectionOf(settings: Pick<PeerSettings, 'redisHost' | 'redisPort'>) {
  return { host: settings.redisHost, port: settings.redisPort, maxRetriesPerRequest: null };
}
