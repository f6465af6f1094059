import { randomUUID } from 'node:crypto';
import { CloneType, Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Email, FullName, USER_LIMITS, Username } from '@herald/contracts';
import type { Database } from '@herald/db';
import { rateLimitKey } from './access';
import { ApiError } from './errors';
import { errorResponses, NEEDS_CREDENTIAL, UserIdParams } from './http.schemas';
import { IdempotencyHeaders, withIdempotency } from './idempotency';
import { createUser, deleteUser, findUser, type User } from './users.repository';
import { PATTERN_MESSAGE } from './validation';

// The contract's own schemas, so that whatever the api accepts makes a valid UserCreated event.
const CreateUserBody = Type.Object(
  {
    email: CloneType(Email, {
      description: `An email address, at most ${USER_LIMITS.emailMaxLength} characters; unique regardless of case.`,
      examples: ['ada@example.com'],
    }),
    username: CloneType(Username, {
      description: `${USER_LIMITS.usernameMinLength}–${USER_LIMITS.usernameMaxLength} letters, digits, ".", "_" or "-"; unique regardless of case.`,
      [PATTERN_MESSAGE]: 'must start with a letter or digit and contain only letters, digits, ".", "_" and "-"',
      examples: ['ada.l'],
    }),
    full_name: CloneType(FullName, {
      description: `One line of text, at most ${USER_LIMITS.fullNameMaxLength} characters, stored as sent.`,
      [PATTERN_MESSAGE]: 'must be one line of text that is not blank (no control characters such as CR or LF)',
      examples: ['Ada Lovelace'],
    }),
  },
  { additionalProperties: false },
);

const UserResponse = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    username: Type.String(),
    full_name: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
  },
  { description: 'The user.' },
);
type UserResponse = Static<typeof UserResponse>;

function toResponse(user: User): UserResponse {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    full_name: user.fullName,
    created_at: user.createdAt.toISOString(),
  };
}

const notFound = () => new ApiError('not_found', 'No such user.');

/** Signups a minute one caller may make: a key (or the admin token), or an address when signup is open. */
export interface SignupRateLimits {
  perKey: number;
  perAddress: number;
}

export interface UsersRoutesOptions {
  db: Database;
  now: () => Date;
  rateLimits: SignupRateLimits;
  /** Called once a change (and its outbox row) has committed: wakes the relay. */
  outboxWritten: () => void;
}

/** Signup (POST), read (GET) and delete (DELETE) users; each change goes through the outbox. */
export const usersRoutes: FastifyPluginAsyncTypebox<UsersRoutesOptions> = async (app, { db, now, rateLimits, outboxWritten }) => {
  app.post(
    '/api/v1/users',
    {
      config: {
        access: 'signup',
        rateLimit: {
          max: (request) => (request.caller?.kind === 'anonymous' ? rateLimits.perAddress : rateLimits.perKey),
          timeWindow: 60_000,
          keyGenerator: rateLimitKey,
        },
      },
      schema: {
        summary: 'Sign a user up',
        description:
          'Creates the user and, in the same transaction, the UserCreated event that sends the welcome email. ' +
          'A retry with the same Idempotency-Key and body returns the first response with `Idempotent-Replayed: true`.',
        tags: ['users'],
        security: NEEDS_CREDENTIAL,
        headers: IdempotencyHeaders,
        body: CreateUserBody,
        response: {
          201: CloneType(UserResponse, { description: 'The user was created.' }),
          ...errorResponses(
            'validation_failed',
            'invalid_json',
            'unauthorized',
            'forbidden',
            'email_taken',
            'username_taken',
            'payload_too_large',
            'unsupported_media_type',
            'idempotency_key_reused',
            'too_many_requests',
          ),
        },
      },
    },
    async (request, reply) => {
      const { email, username, full_name: fullName } = request.body;
      const user: User = { id: randomUUID(), email, username, fullName, createdAt: now() };
      const key = request.headers['idempotency-key'];
      if (key === undefined) {
        // One statement, atomic on its own: no transaction to open.
        await createUser(db, user);
        outboxWritten();
        return reply.code(201).send(toResponse(user));
      }
      const identity = { method: request.method, path: request.url.split('?')[0] ?? '', body: request.body };
      const result = await withIdempotency(db, key, identity, async (tx) => {
        await createUser(tx, user);
        return { statusCode: 201, body: toResponse(user) };
      });
      if (!result.replayed) outboxWritten();
      if (result.replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(result.body);
    },
  );

  app.get(
    '/api/v1/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Read a user',
        tags: ['users'],
        security: NEEDS_CREDENTIAL,
        params: UserIdParams,
        response: { 200: UserResponse, ...errorResponses('validation_failed', 'unauthorized', 'forbidden', 'not_found') },
      },
    },
    async (request) => {
      const user = await findUser(db, request.params.id);
      if (!user) throw notFound();
      return toResponse(user);
    },
  );

  app.delete(
    '/api/v1/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Delete a user',
        description:
          'Erases the user: their email, username and name, their timeline and their signup event go, and the id ' +
          'answers 404 from then on. Emits UserDeleted, on which the scheduler deletes their follow-ups.',
        tags: ['users'],
        security: NEEDS_CREDENTIAL,
        params: UserIdParams,
        response: {
          204: Type.Null({ description: 'The user was deleted.' }),
          ...errorResponses('validation_failed', 'unauthorized', 'forbidden', 'not_found'),
        },
      },
    },
    async (request, reply) => {
      if (!(await deleteUser(db, request.params.id, now()))) throw notFound();
      outboxWritten();
      return reply.code(204).send(null);
    },
  );
};
