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
  '*.DATABASE_URL',
  '*.SMTP_URL',
];

/** A pino JSON logger named after the service. */
export function createLogger(service: string, level = 'info', options: LoggerOptions = {}): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    ...options,
  });
}
