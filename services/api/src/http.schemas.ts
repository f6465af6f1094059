import { Type, type TSchema } from '@sinclair/typebox';
import { ERROR_STATUS, type ErrorCode } from './errors';

/** The body of every error response (see errors.ts). */
export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'Stable error code, e.g. validation_failed or email_taken.' }),
    message: Type.String({ description: 'What went wrong, for people.' }),
    errors: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), message: Type.String() }), {
        description: 'Each bad field (validation_failed only).',
      }),
    ),
    error_id: Type.Optional(Type.String({ description: 'Quote it when reporting a 500; the log line carries it too.' })),
  },
  { description: 'An error.' },
);

/** Response schemas for the error codes a route can answer with, keyed by their status. */
export function errorResponses(...codes: ErrorCode[]): Record<number, TSchema> {
  const responses: Record<number, TSchema> = {};
  for (const code of [...codes, 'internal_error' as const]) {
    const status = ERROR_STATUS[code];
    const known = responses[status]?.description;
    responses[status] = Type.Object(ErrorResponse.properties, {
      description: known ? `${known}, ${code}` : code,
    });
  }
  return responses;
}

/** The OpenAPI security requirement of a route that needs a credential (see access.ts). */
export const NEEDS_CREDENTIAL = [{ apiKey: [] }];

/** The `:id` path parameter of a user. */
export const UserIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The user id.' }),
});
