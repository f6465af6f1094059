import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Database } from '@herald/db';
import { ApiError } from './errors';
import { errorResponses, NEEDS_CREDENTIAL, UserIdParams } from './http.schemas';
import { listTimeline, type TimelineEntry } from './timeline.repository';
import { userIsLive } from './users.repository';

const Nullable = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

const TimelineEntryResponse = Type.Object({
  channel: Type.String({ description: 'email, slack or scheduler.' }),
  notification: Type.String({ description: 'welcome, follow-up, signup-announcement, alert, ...' }),
  status: Type.String({ description: 'requested, sent, retrying, dead-lettered, scheduled, due, cancelled or redriven.' }),
  attempt: Type.Integer({ description: 'Attempt number, 1 for the first.' }),
  detail: Nullable('Free text about the step.'),
  error_code: Nullable('Why an attempt failed.'),
  error_message: Nullable('Why an attempt failed, for people.'),
  next_at: Nullable('When the next attempt or the scheduled delivery is due.'),
  trace_id: Nullable('W3C trace id of the step.'),
  occurred_at: Type.String({ format: 'date-time' }),
  event_id: Type.String(),
  correlation_id: Type.String({ description: 'The signup (or alert) that started it all.' }),
});

const TimelineResponse = Type.Object(
  { user_id: Type.String({ format: 'uuid' }), notifications: Type.Array(TimelineEntryResponse) },
  { description: 'Every step of the user’s notifications, oldest first.' },
);

function toResponse(entry: TimelineEntry): Static<typeof TimelineEntryResponse> {
  return {
    channel: entry.channel,
    notification: entry.notification,
    status: entry.status,
    attempt: entry.attempt,
    detail: entry.detail,
    error_code: entry.errorCode,
    error_message: entry.errorMessage,
    next_at: entry.nextAt?.toISOString() ?? null,
    trace_id: entry.traceId,
    occurred_at: entry.occurredAt.toISOString(),
    event_id: entry.eventId,
    correlation_id: entry.correlationId,
  };
}

export interface TimelineRoutesOptions {
  db: Database;
}

/** `GET /api/v1/users/:id/notifications`: what happened to a user's notifications, in order. */
export const timelineRoutes: FastifyPluginAsyncTypebox<TimelineRoutesOptions> = async (app, { db }) => {
  app.get(
    '/api/v1/users/:id/notifications',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'A user’s notification timeline',
        description:
          'Every attempt, retry, dead letter, schedule, cancellation and delivery, as the services reported them. ' +
          'A deleted user has none: deletion erases it, and the answer is 404.',
        tags: ['timeline'],
        security: NEEDS_CREDENTIAL,
        params: UserIdParams,
        response: { 200: TimelineResponse, ...errorResponses('validation_failed', 'unauthorized', 'forbidden', 'not_found') },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await userIsLive(db, id))) throw new ApiError('not_found', 'No such user.');
      return { user_id: id, notifications: (await listTimeline(db, id)).map(toResponse) };
    },
  );
};
