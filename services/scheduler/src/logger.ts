/**
 * The part of a pino logger the scheduler's classes use, so tests can pass a recorder and the
 * service passes its own logger.
 */
export interface SchedulerLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The message of an error, or the thing itself as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
