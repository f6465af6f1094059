/**
 * The base of every error Herald raises on purpose. `code` is stable (it lands in dead-letter
 * records, timelines and API responses); `retriable` tells the transport whether another attempt
 * can succeed. Anything that is not a HeraldError (a TypeError, say) is a programming error and
 * is never retried.
 */
export class HeraldError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable;
  }
}

/** One field that failed validation, addressed by its JSON pointer. */
export interface Violation {
  path: string;
  message: string;
}

/** A message or request that does not match its schema. Never retriable. */
export class ContractViolationError extends HeraldError {
  readonly violations: readonly Violation[];

  constructor(subject: string, violations: readonly Violation[]) {
    const first = violations
      .slice(0, 3)
      .map((v) => `${v.path || '/'}: ${v.message}`)
      .join('; ');
    const more = violations.length > 3 ? ` (and ${violations.length - 3} more)` : '';
    super('CONTRACT_VIOLATION', `${subject} does not match its schema: ${first}${more}`, {
      retriable: false,
    });
    this.violations = violations;
  }
}
