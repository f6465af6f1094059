import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
// Registers the string formats (email, uuid, date-time) exactly as the contracts check them.
import '@herald/contracts';

/**
 * Schema keyword that says in words what a `pattern` asks for, so that a 400 reads
 * "username must start with a letter or digit ..." rather than quoting a regular expression.
 */
export const PATTERN_MESSAGE = 'x-pattern-message';

const FORMAT_MESSAGES: Readonly<Record<string, string>> = {
  email: 'must be an email address',
  uuid: 'must be a UUID',
  'date-time': 'must be an RFC 3339 date-time',
};

/** What is wrong with one value, in words a client can act on. */
export function describeError(error: ValueError): string {
  const schema = error.schema as Record<string, unknown>;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'is not a known property';
    case ValueErrorType.Object:
      return 'must be a JSON object';
    case ValueErrorType.String:
      return 'must be a string';
    case ValueErrorType.StringMinLength:
      return `must be at least ${String(schema.minLength)} characters long`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(schema.maxLength)} characters long`;
    case ValueErrorType.StringFormat:
      return FORMAT_MESSAGES[String(schema.format)] ?? `must be a valid ${String(schema.format)}`;
    case ValueErrorType.StringPattern:
      return typeof schema[PATTERN_MESSAGE] === 'string' ? schema[PATTERN_MESSAGE] : `must match ${String(schema.pattern)}`;
    case ValueErrorType.Union: {
      const options = Array.isArray(schema.anyOf) ? (schema.anyOf as { const?: unknown }[]) : [];
      if (options.length > 0 && options.every((o) => typeof o.const === 'string')) {
        return `must be one of: ${options.map((o) => String(o.const)).join(', ')}`;
      }
      return error.message;
    }
    default:
      return error.message;
  }
}

/** The first problem of each field (at most `limit` fields), in fastify's validation-error shape. */
function collect(errors: Iterable<ValueError>, limit: number): FastifySchemaValidationError[] {
  const byPath = new Map<string, FastifySchemaValidationError>();
  for (const error of errors) {
    if (byPath.has(error.path)) continue;
    byPath.set(error.path, {
      keyword: ValueErrorType[error.type],
      instancePath: error.path,
      schemaPath: '',
      params: {},
      message: describeError(error),
    });
    if (byPath.size >= limit) break;
  }
  return [...byPath.values()];
}

/**
 * fastify's validator compiler for TypeBox schemas, through the same TypeBox compiler and format
 * registry as the event contracts, so a request the api accepts is an event the contracts accept.
 * Bodies are checked as sent; params, querystring and headers are converted (strings to numbers).
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  return (value: unknown) => {
    const converted = httpPart === 'body' ? value : Value.Convert(schema, value);
    if (check.Check(converted)) return { value: converted };
    return { error: collect(check.Errors(converted), 20) };
  };
};
