import { requiredEnv } from '../peer/required-env.ts';

/**
 * What the Temporal peer's api, worker and harness share: the task queue, the workflows' names,
 * the retry policy (the bench's, as BullMQ and Herald get it) and the settings from the
 * environment the harness gives each process.
 */
export const TASK_QUEUE = 'herald-bench-signups';

/** 5 attempts, 1 s then ×2: the policy the bench gives Herald's handlers and BullMQ's jobs. */
export const RETRY = { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 2 } as const;

export interface TemporalPeerSettings {
  /** host:port of the Temporal frontend. */
  address: string;
  namespace: string;
  databaseUrl: string;
  smtpUrl: string;
  slackWebhookUrl: string;
  followUpDelayMs: number;
  /** The api's port. */
  port: number;
}

/** Reads the peer's settings; throws naming a missing variable. */
export function readTemporalSettings(env: NodeJS.ProcessEnv = process.env): Readonly<TemporalPeerSettings> {
  return Object.freeze({
    address: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    databaseUrl: requiredEnv(env, 'DATABASE_URL', 'temporal peer'),
    smtpUrl: requiredEnv(env, 'SMTP_URL', 'temporal peer'),
    slackWebhookUrl: requiredEnv(env, 'SLACK_WEBHOOK_URL', 'temporal peer'),
    followUpDelayMs: Number(env.FOLLOW_UP_DELAY_MS ?? 10_000),
    port: Number(env.PORT ?? 0),
  });
}
