export { loadEnv } from './env';
export { ConfigError } from './errors';
export { parseIsoDuration } from './duration';
