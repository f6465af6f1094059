export { databaseUrlField, loadEnv, secretField } from './env';
export { ConfigError } from './errors';
export { failureOf, runCli, UsageError } from './cli';
export { parseIsoDuration } from './duration';
