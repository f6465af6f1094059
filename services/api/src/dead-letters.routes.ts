import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DeadLetterNotFoundError, type DeadLetters } from '@herald/consumer';
import { ApiError } from './errors';
import { errorResponses, NEEDS_CREDENTIAL } from './http.schemas';

export interface DeadLettersRoutesOptions {
  deadLetters: DeadLetters;
}

const DlqParams = Type.Object({ dlq: Type.String({ minLength: 5, maxLength: 249, pattern: '^[A-Za-z0-9._-]+\\.dlq$' }) });
const LetterParams = Type.Object({
  dlq: DlqParams.properties.dlq,
  id: Type.String({ pattern: '^\\d+:\\d+$', description: 'partition:offset' }),
});
const RedriveBody = Type.Object(
  {
    ids: Type.Optional(Type.Array(Type.String({ pattern: '^\\d+:\\d+$' }), { minItems: 1, maxItems: 1000 })),
    all: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** Runs a dead-letter operation; a missing topic or letter is a 404. */
async function found<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DeadLetterNotFoundError) throw new ApiError('not_found', error.message, { cause: error });
    throw error;
  }
}

/**
 * Dead-letter operations for operators (admin scope): list the dead-letter topics, list and
 * inspect letters, redrive some or all once the cause is fixed, purge. The same as `npm run dlq`.
 */
export const deadLettersRoutes: FastifyPluginAsyncTypebox<DeadLettersRoutesOptions> = async (app, { deadLetters }) => {
  const common = { config: { access: 'admin' as const } };
  const docs = { tags: ['dead-letters'], security: NEEDS_CREDENTIAL };

  app.get('/api/v1/dead-letters', {
    ...common,
    schema: { ...docs, summary: 'List dead-letter topics', response: errorResponses('unauthorized', 'forbidden') },
  }, async () => ({ topics: await deadLetters.topics() }));

  app.get('/api/v1/dead-letters/:dlq', {
    ...common,
    schema: {
      ...docs,
      summary: 'List the letters of a dead-letter topic',
      params: DlqParams,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'at most this many; 100 when not given' })) }),
      response: errorResponses('validation_failed', 'unauthorized', 'forbidden', 'not_found'),
    },
  }, async (request) => ({ letters: await found(() => deadLetters.list(request.params.dlq, request.query.limit ?? 100)) }));

  app.get('/api/v1/dead-letters/:dlq/:id', {
    ...common,
    schema: {
      ...docs,
      summary: 'Inspect one dead letter: original message, error, attempts, origin',
      params: LetterParams,
      response: errorResponses('validation_failed', 'unauthorized', 'forbidden', 'not_found'),
    },
  }, async (request) => {
    const [partition, offset] = request.params.id.split(':') as [string, string];
    return found(() => deadLetters.inspect(request.params.dlq, Number(partition), offset));
  });

  app.post('/api/v1/dead-letters/:dlq/redrive', {
    ...common,
    schema: {
      ...docs,
      summary: 'Redrive letters (ids, or all not redriven yet) back to their consumer group',
      params: DlqParams,
      body: RedriveBody,
      response: errorResponses('validation_failed', 'invalid_json', 'unauthorized', 'forbidden', 'not_found', 'unsupported_media_type'),
    },
  }, async (request) => {
    const { ids, all } = request.body;
    if ((ids === undefined) === (all !== true)) {
      throw new ApiError('validation_failed', 'Give either ids or all: true.', {
        errors: [{ field: 'body', message: 'needs either ids or all: true, not both' }],
      });
    }
    return found(() => deadLetters.redrive(request.params.dlq, all ? 'all' : (ids ?? [])));
  });

  app.delete('/api/v1/dead-letters/:dlq', {
    ...common,
    schema: {
      ...docs,
      summary: 'Purge a dead-letter topic',
      params: DlqParams,
      response: errorResponses('validation_failed', 'unauthorized', 'forbidden', 'not_found'),
    },
  }, async (request) => ({ purged: await found(() => deadLetters.purge(request.params.dlq)) }));
};
