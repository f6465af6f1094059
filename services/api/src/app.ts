import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Admin } from 'kafkajs';
import type { DeadLetters } from '@herald/consumer';
import type { Logger } from '@herald/service-kit';
import { readiness } from '@herald/service-kit';
import { databaseReachable, type DatabaseHandle } from '@herald/db';
import { kafkaReachable } from '@herald/kafka';
import { annotateActiveSpan } from '@herald/telemetry';
import { accessControl } from './access';
import { alertsRoutes } from './alerts.routes';
import { ApiKeyStore } from './api-keys';
import { deadLettersRoutes } from './dead-letters.routes';
import { ApiError, registerErrorHandling } from './errors';
import { healthRoutes } from './health.routes';
import { httpDuration, httpRequests } from './metrics';
import { timelineRoutes } from './timeline.routes';
import { usersRoutes, type SignupRateLimits } from './users.routes';
import { validatorCompiler } from './validation';

/** What the api is built from; main.ts wires the real ones, tests may pass their own. */
export interface AppDependencies {
  logger: Logger;
  database: DatabaseHandle;
  kafkaAdmin: Admin;
  /** ADMIN_TOKEN: a credential with the admin scope. */
  adminToken: string;
  /** The api keys; by default those in `database`, each cached for a second once found. */
  keys?: ApiKeyStore;
  /** Signup without a credential, for a public form (SIGNUP_OPEN); false when not given. */
  signupOpen?: boolean;
  /** Signups a minute per key and, for an open signup, per address; 6000 and 10 when not given. */
  signupRateLimits?: SignupRateLimits;
  /**
   * Called after a request's transaction wrote to the outbox and committed: wakes the relay (its
   * poll finds the rows otherwise, a poll interval later).
   */
  outboxWritten?: () => void;
  /** Unpublished outbox rows, shown on /readyz (the relay's backlog). */
  outboxBacklog?: () => Promise<number>;
  /** Whether the timeline projector has joined its group; part of /readyz when given. */
  timelineJoined?: () => boolean;
  /** The clock; tests may fix it. */
  now?: () => Date;
  /** Dead-letter operations; without them the /api/v1/dead-letters routes are not served. */
  deadLetters?: DeadLetters;
}

/** The api's fastify instance, typed by its TypeBox schemas. */
export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Builds the api (routes, docs, error handling) without listening. */
export async function buildApp(deps: AppDependencies): Promise<App> {
  const app = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: deps.logger,
    bodyLimit: 64 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();
  const db = deps.database.db;
  const now = deps.now ?? (() => new Date());

  app.setValidatorCompiler(validatorCompiler);
  // Bodies are JSON only: without this fastify would take text/plain and answer 400, not 415.
  app.removeContentTypeParser('text/plain');
  registerErrorHandling(app);
  // Every route is admin-only unless it says otherwise (access.ts); the docs are public.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...route.config, access: 'public' };
  });
  app.addHook(
    'onRequest',
    accessControl({ adminToken: deps.adminToken, keys: deps.keys ?? new ApiKeyStore(db), signupOpen: deps.signupOpen ?? false }),
  );
  // Only routes that ask for it (signup), after the credential is known and before the body is read.
  await app.register(rateLimit, {
    global: false,
    hook: 'preParsing',
    errorResponseBuilder: (_request, context) =>
      new ApiError('too_many_requests', `Too many requests: at most ${context.max} a minute. Try again after Retry-After seconds.`),
  });
  // The HTTP server span is named after the route, not only the method.
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    if (route) annotateActiveSpan(`${request.method} ${route}`, { 'http.route': route });
  });
  app.addHook('onResponse', async (request, reply) => {
    // Unknown paths are one label value, not one per path a scanner tries.
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics' || route === '/healthz' || route === '/readyz') return;
    httpRequests.inc({ method: request.method, route, status_code: String(reply.statusCode) });
    httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Herald API', version: '1.0.0', description: 'Signups, users, alerts and notification timelines.' },
      tags: [
        { name: 'users', description: 'Signup and users; every change is an event through the outbox.' },
        { name: 'alerts', description: 'Operator alerts, delivered by email and Slack (admin).' },
        { name: 'timeline', description: 'What happened to a user’s notifications.' },
        { name: 'dead-letters', description: 'Dead letters of every consumer group: inspect, redrive, purge (admin).' },
      ],
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (`npm run keys`) or ADMIN_TOKEN.' } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, {
    readiness: () =>
      readiness([
        { name: 'postgres', check: () => databaseReachable(deps.database.pool) },
        { name: 'kafka', check: () => kafkaReachable(deps.kafkaAdmin) },
        ...(deps.timelineJoined ? [{ name: 'timeline', check: async () => deps.timelineJoined?.() ?? false }] : []),
      ]),
    ...(deps.outboxBacklog ? { outboxBacklog: deps.outboxBacklog } : {}),
  });
  const outboxWritten = deps.outboxWritten ?? (() => undefined);
  await app.register(usersRoutes, { db, now, outboxWritten, rateLimits: deps.signupRateLimits ?? { perKey: 6000, perAddress: 10 } });
  await app.register(alertsRoutes, { db, now, outboxWritten });
  await app.register(timelineRoutes, { db });
  if (deps.deadLetters) {
    await app.register(deadLettersRoutes, { deadLetters: deps.deadLetters });
  }
  return app;
}
