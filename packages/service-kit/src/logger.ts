import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, wherever they appear. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'DATABASE_URL',
  'SMTP_URL',
  'SLACK_SIGNUPS_WEBHOOK_URL',
  'SLACK_ALERTS_WEBHOOK_URL',
  '*.DATABASE_URL',
  '*.SMTP_URL',
  '*.SLACK_SIGNUPS_WEBHOOK_URL',
  '*.SLACK_ALERTS_WEBHOOK_URL',
];

/** How log lines are written: JSON lines (the default, for machines) or coloured text (`npm run dev`). */
export type LogFormat = 'json' | 'pretty';

/**
 * A pino logger named after the service. Lines written inside a span carry its `traceId` and
 * `spanId` (added by the OpenTelemetry pino instrumentation that `@herald/telemetry` starts).
 */
export function createLogger(service: string, level = 'info', options: LoggerOptions = {}, format: LogFormat = 'json'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } }
      : { formatters: { level: (label: string) => ({ level: label }) } }),
    ...options,
  });
}
