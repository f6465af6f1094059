export { createLogger, REDACTED_PATHS } from './logger';
export type { LogFormat, Logger } from './logger';
export { HealthServer, readiness } from './health-server';
export type { ReadinessCheck, ReadinessReport, HealthServerOptions } from './health-server';
export { onShutdown, exitOnStartupError } from './shutdown';
export { serveServiceProcess, adminPart } from './consumer-service';
export type { Stoppable, ServiceProcessOptions } from './consumer-service';
export { retrying, backoffPause } from './retry';
export type { RetryOptions } from './retry';
