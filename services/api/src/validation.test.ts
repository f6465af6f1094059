import { Type } from '@sinclair/typebox';
import { canonicalJson, requestHash } from './idempotency';
import { toApiError } from './errors';
import { validatorCompiler, PATTERN_MESSAGE } from './validation';

// Unit: no network.
describe('validatorCompiler', () => {
  const schema = Type.Object(
    {
      name: Type.String({ minLength: 2, maxLength: 4, pattern: '^[a-z]+$', [PATTERN_MESSAGE]: 'must be lowercase letters' }),
      kind: Type.Union([Type.Literal('a'), Type.Literal('b')]),
      mail: Type.String({ format: 'email' }),
    },
    { additionalProperties: false },
  );
  const validate = validatorCompiler({ schema, httpPart: 'body', method: 'POST', url: '/' });
  const errorsOf = (value: unknown) => {
    const result = validate(value) as { error?: { instancePath: string; message?: string }[] };
    return result.error?.map((e) => [e.instancePath, e.message]);
  };

  it('passes a valid value through', () => {
    expect(validate({ name: 'abc', kind: 'a', mail: 'a@b.co' })).toEqual({ value: { name: 'abc', kind: 'a', mail: 'a@b.co' } });
  });

  it('says what is wrong with each field, once per field, in words', () => {
    expect(errorsOf({ name: 'ABCDE', kind: 'c', mail: 'nope', extra: 1 })).toEqual([
      ['/extra', 'is not a known property'],
      ['/name', 'must be at most 4 characters long'],
      ['/kind', 'must be one of: a, b'],
      ['/mail', 'must be an email address'],
    ]);
    expect(errorsOf({ name: 'AB', kind: 'a', mail: 'a@b.co' })).toEqual([['/name', 'must be lowercase letters']]);
    expect(errorsOf({})).toEqual([
      ['/name', 'is required'],
      ['/kind', 'is required'],
      ['/mail', 'is required'],
    ]);
    expect(errorsOf('text')).toEqual([['', 'must be a JSON object']]);
  });
});

describe('toApiError', () => {
  it('names each field of a fastify validation error', () => {
    const error = toApiError({
      code: 'FST_ERR_VALIDATION',
      validationContext: 'params',
      validation: [
        { instancePath: '/id', message: 'must be a UUID', keyword: '', schemaPath: '', params: {} },
        { instancePath: '', message: 'must be a JSON object', keyword: '', schemaPath: '', params: {} },
      ],
    });
    expect(error?.code).toBe('validation_failed');
    expect(error?.statusCode).toBe(400);
    expect(error?.errors).toEqual([
      { field: 'id', message: 'must be a UUID' },
      { field: 'params', message: 'must be a JSON object' },
    ]);
  });

  it('maps fastify body errors to the api codes, and leaves faults as 500s', () => {
    expect(toApiError({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 })?.statusCode).toBe(400);
    expect(toApiError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 })?.code).toBe('unsupported_media_type');
    expect(toApiError({ code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', statusCode: 400, message: 'bad length' })?.code).toBe(
      'bad_request',
    );
    expect(toApiError(new TypeError('boom'))).toBeUndefined();
    expect(toApiError({ statusCode: 503 })).toBeUndefined();
  });
});

describe('requestHash', () => {
  it('ignores key order, not values, method or path', () => {
    const body = { b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } };
    expect(canonicalJson(body)).toBe('{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
    const hash = requestHash({ method: 'POST', path: '/api/v1/users', body });
    expect(requestHash({ method: 'post', path: '/api/v1/users', body: { a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 } })).toBe(hash);
    expect(requestHash({ method: 'POST', path: '/api/v1/users', body: { ...body, b: 2 } })).not.toBe(hash);
    expect(requestHash({ method: 'POST', path: '/api/v1/alerts', body })).not.toBe(hash);
  });
});
