import { ContractViolationError, HeraldError } from '@herald/contracts';
import type { RetryPolicy } from './policy';

/** An attempt ran longer than the policy's startToCloseTimeout. Retriable. */
export class AttemptTimeoutError extends HeraldError {
  constructor(timeoutMs: number) {
    super('START_TO_CLOSE_TIMEOUT', `the attempt did not finish within ${timeoutMs} ms`, { retriable: true });
  }
}

/** Given up without an attempt: scheduleToStartTimeout or scheduleToCloseTimeout passed. */
export class GivenUpError extends HeraldError {
  constructor(code: 'SCHEDULE_TO_START_TIMEOUT' | 'SCHEDULE_TO_CLOSE_TIMEOUT', message: string) {
    super(code, message, { retriable: false });
  }
}

/** An error whose sender asked to wait (Slack's 429 Retry-After). */
export interface RetryAfter {
  retryAfterMs?: number;
}

/** Errors of this kind are bugs: retrying cannot help. */
const PROGRAMMING_ERRORS = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'URIError']);

export interface Classification {
  retriable: boolean;
  /** The code or class name that lands in dead letters and timelines. */
  type: string;
  message: string;
  stack?: string;
  retryAfterMs?: number;
}

/**
 * Decides whether another attempt can succeed. Contract violations, the policy's
 * nonRetryableErrorTypes and programming errors never are; a HeraldError says so itself; any
 * other error (a refused connection, a reset socket) is treated as transient.
 */
export function classify(error: unknown, policy: RetryPolicy): Classification {
  if (!(error instanceof Error)) {
    return { retriable: false, type: 'NonError', message: `thrown value is not an Error: ${String(error)}` };
  }
  const rawCode = (error as Error & { code?: unknown }).code;
  const code = typeof rawCode === 'string' ? rawCode : undefined;
  const type = error instanceof HeraldError ? error.code : (code ?? error.name);
  const retryAfter = (error as RetryAfter).retryAfterMs;
  const base = {
    type,
    message: error.message,
    stack: error.stack,
    ...(typeof retryAfter === 'number' && retryAfter > 0 ? { retryAfterMs: retryAfter } : {}),
  };
  const listed = policy.nonRetryableErrorTypes;
  if (error instanceof ContractViolationError) return { ...base, retriable: false };
  if (listed.includes(type) || listed.includes(error.name) || (code !== undefined && listed.includes(code))) {
    return { ...base, retriable: false };
  }
  if (error instanceof HeraldError) return { ...base, retriable: error.retriable };
  if (PROGRAMMING_ERRORS.has(error.name)) return { ...base, retriable: false };
  return { ...base, retriable: true };
}
