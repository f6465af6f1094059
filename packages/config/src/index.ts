export { databaseUrlField, loadEnv, secretField } from './env';
export { ConfigError } from './errors';
export { parseIsoDuration } from './duration';
