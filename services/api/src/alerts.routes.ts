import { randomUUID } from 'node:crypto';
import { CloneType, Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AlertRaised, AlertRaisedData, newEvent } from '@herald/contracts';
import type { Database } from '@herald/db';
import { errorResponses, NEEDS_CREDENTIAL } from './http.schemas';
import { IdempotencyHeaders, withIdempotency } from './idempotency';
import { appendToOutbox } from './outbox.repository';
import { PATTERN_MESSAGE } from './validation';

const RaiseAlertBody = Type.Object(
  {
    message: CloneType(AlertRaisedData.properties.message, {
      description: 'What the operators should know; emailed to the admin address and posted to Slack.',
      [PATTERN_MESSAGE]: 'must not be blank',
    }),
    severity: CloneType(AlertRaisedData.properties.severity, { description: 'info, warning or critical.' }),
  },
  { additionalProperties: false },
);

const AlertResponse = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    message: Type.String(),
    severity: Type.String(),
    raised_at: Type.String({ format: 'date-time' }),
  },
  { description: 'The alert was accepted; email and Slack deliver it.' },
);
type AlertResponse = Static<typeof AlertResponse>;

export interface AlertsRoutesOptions {
  db: Database;
  now: () => Date;
  /** Called once the alert's outbox row has committed: wakes the relay. */
  outboxWritten: () => void;
}

/** `POST /api/v1/alerts` (admin): raises an alert that email and Slack deliver in parallel. */
export const alertsRoutes: FastifyPluginAsyncTypebox<AlertsRoutesOptions> = async (app, { db, now, outboxWritten }) => {
  app.post(
    '/api/v1/alerts',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Raise an alert',
        description: 'Emits AlertRaised through the outbox; email and Slack deliver it. Needs the admin scope.',
        tags: ['alerts'],
        security: NEEDS_CREDENTIAL,
        headers: IdempotencyHeaders,
        body: RaiseAlertBody,
        response: {
          202: AlertResponse,
          ...errorResponses(
            'validation_failed',
            'invalid_json',
            'unauthorized',
            'forbidden',
            'payload_too_large',
            'unsupported_media_type',
            'idempotency_key_reused',
          ),
        },
      },
    },
    async (request, reply) => {
      const { message, severity } = request.body;
      const raisedAt = now();
      const alertId = randomUUID();
      const identity = { method: request.method, path: request.url.split('?')[0] ?? '', body: request.body };
      const result = await withIdempotency<AlertResponse>(db, request.headers['idempotency-key'], identity, async (tx) => {
        const event = newEvent(AlertRaised, { alertId, message, severity, raisedAt: raisedAt.toISOString() }, undefined, raisedAt);
        await appendToOutbox(tx, AlertRaised, alertId, event);
        return { statusCode: 202, body: { id: alertId, message, severity, raised_at: raisedAt.toISOString() } };
      });
      if (result.replayed) void reply.header('idempotent-replayed', 'true');
      else outboxWritten();
      return reply.code(202).send(result.body);
    },
  );
};
