import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { HeraldError } from '@herald/contracts';
import { isDatabaseUnavailable } from '@herald/db';

/** Every error code the api answers with, and its one HTTP status. */
export const ERROR_STATUS = Object.freeze({
  validation_failed: 400,
  invalid_json: 400,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  email_taken: 409,
  username_taken: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  too_many_requests: 429,
  internal_error: 500,
  database_unavailable: 503,
} as const);

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One bad input field, named as the client sent it (`email`, `id`, `idempotency-key`). */
export interface FieldError {
  field: string;
  message: string;
}

/** The JSON body of every error response. */
export interface ErrorBody {
  error: ErrorCode;
  message: string;
  errors?: FieldError[];
  error_id?: string;
}

/** An error the api answers on purpose; its code decides the status (ERROR_STATUS). */
export class ApiError extends HeraldError {
  declare readonly code: ErrorCode;
  readonly errors: readonly FieldError[] | undefined;

  constructor(code: ErrorCode, message: string, options: { errors?: readonly FieldError[]; cause?: unknown } = {}) {
    super(code, message, { retriable: false, cause: options.cause });
    this.errors = options.errors;
  }

  get statusCode(): number {
    return ERROR_STATUS[this.code];
  }
}

// fastify's own errors (body parsing, schema validation) in the api's vocabulary.
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_VALIDATION: 'validation_failed',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
};

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  invalid_json: 'The request body is not valid JSON.',
  unsupported_media_type: 'Send the request body as application/json.',
  payload_too_large: 'The request body is too large.',
  internal_error: 'Something went wrong on our side; quote error_id when you report it.',
  database_unavailable: 'The database is unavailable; nothing was written. Try again after Retry-After seconds.',
};

/** Seconds a client is asked to wait after a 503 (a database restart takes a few). */
export const RETRY_AFTER_SECONDS = 2;

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  validation?: FastifySchemaValidationError[];
  validationContext?: string;
}

/** Field errors from a fastify validation error, one per field. */
function fieldErrors(error: FastifyLikeError): FieldError[] {
  const context = error.validationContext ?? 'body';
  return (error.validation ?? []).map((v) => ({
    field: v.instancePath.replace(/^\//, '').replaceAll('/', '.') || context,
    message: v.message ?? 'is invalid',
  }));
}

/** Turns anything thrown into an ApiError, or undefined when it is a fault of ours (a 500). */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as FastifyLikeError;
  const code = typeof e.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  if (code === 'validation_failed') {
    const errors = fieldErrors(e);
    const message = `Invalid request: ${errors.map((f) => `${f.field} ${f.message}`).join('; ')}.`;
    return new ApiError(code, message, { errors });
  }
  if (code) return new ApiError(code, MESSAGES[code] ?? String(e.message), { cause: error });
  if (isDatabaseUnavailable(error)) return new ApiError('database_unavailable', MESSAGES.database_unavailable ?? '', { cause: error });
  // Any other client error fastify raises (a bad Content-Length, say) keeps its message.
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new ApiError('bad_request', String(e.message), { cause: error });
  }
  return undefined;
}

/**
 * The api's one error handler and its JSON 404: each code gets its status from ERROR_STATUS; any
 * other error is a 500 whose log line and response carry the same error id.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    if (apiError) {
      const body: ErrorBody = { error: apiError.code, message: apiError.message };
      if (apiError.errors) body.errors = [...apiError.errors];
      if (apiError.code === 'unauthorized') void reply.header('www-authenticate', 'Bearer');
      if (apiError.code === 'database_unavailable') {
        request.log.warn({ errorType: 'database_unavailable' }, 'database unavailable: answered 503');
        void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      }
      return reply.code(apiError.statusCode).send(body);
    }
    const errorId = randomUUID();
    request.log.error({ err: error, error_id: errorId }, 'request failed');
    const body: ErrorBody = { error: 'internal_error', message: MESSAGES.internal_error ?? '', error_id: errorId };
    return reply.code(500).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = { error: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.` };
    return reply.code(404).send(body);
  });
}

/**
 * The constraint a Postgres unique violation (23505) broke, looking through the causes drizzle
 * wraps driver errors in; undefined for any other error.
 */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as { code?: unknown; constraint?: unknown; cause?: unknown };
    if (candidate.code === '23505') return typeof candidate.constraint === 'string' ? candidate.constraint : '';
    current = candidate.cause;
  }
  return undefined;
}
