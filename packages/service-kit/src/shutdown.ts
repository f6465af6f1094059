import type { Logger } from 'pino';

/**
 * Runs `stop` once on SIGINT or SIGTERM, then exits: 0 when it finished, 1 when it threw or did
 * not finish within `graceMs` (a second signal exits at once).
 */
export function onShutdown(logger: Logger, stop: () => Promise<void>, graceMs = 15_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took too long: exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Logs a fatal start-up error as one line and exits 1 (a ConfigError names the bad variable). */
export function exitOnStartupError(service: string, error: unknown): never {
  const message = error instanceof Error ? (process.env.HERALD_DEBUG === "1" ? (error.stack ?? error.message) : error.message) : String(error);
  process.stderr.write(`${service}: cannot start: ${message}\n`);
  process.exit(1);
}
