import path from 'node:path';
import { HOME } from './paths.ts';
import { keptSecret } from './secrets.ts';

/**
 * Where the native stack listens. The services get these through their environment (see each
 * service's .env.example); tests read them from the environment the test setup exports.
 */
export const endpoints = Object.freeze({
  kafkaBrokers: '127.0.0.1:9092',
  databaseUrl: 'postgres://herald:herald@127.0.0.1:5432/herald',
  smtpUrl: 'smtp://127.0.0.1:1025',
  mailpitUrl: 'http://127.0.0.1:8025',
  jaegerUrl: 'http://127.0.0.1:16686',
  otlpUrl: 'http://127.0.0.1:4318',
  slackSinkUrl: 'http://127.0.0.1:8026',
  apiUrl: 'http://127.0.0.1:3000',
  /** Only the benchmark's BullMQ peer uses it. */
  redisUrl: 'redis://127.0.0.1:6379',
  /** Only the benchmark's Temporal peer uses it. */
  temporalAddress: '127.0.0.1:7233',
});

/**
 * The admin token of this checkout's stack: made once and kept in `.herald/admin-token`. The api
 * refuses to start without a strong one; only the stack, for development, makes one.
 */
export function adminToken(): string {
  return keptSecret(path.join(HOME, 'admin-token'));
}

/** The environment every Herald service gets from the native stack. */
export function serviceEnvironment(): NodeJS.ProcessEnv {
  return {
    ADMIN_TOKEN: adminToken(),
    KAFKA_BROKERS: endpoints.kafkaBrokers,
    DATABASE_URL: endpoints.databaseUrl,
    SMTP_URL: endpoints.smtpUrl,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoints.otlpUrl,
    SLACK_SIGNUPS_WEBHOOK_URL: `${endpoints.slackSinkUrl}/services/T000/B000/signups`,
    SLACK_ALERTS_WEBHOOK_URL: `${endpoints.slackSinkUrl}/services/T000/B000/alerts`,
  };
}
