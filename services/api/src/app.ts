import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Admin } from 'kafkajs';
import type { Logger } from '@herald/service-kit';
import { readiness } from '@herald/service-kit';
import { databaseReachable, type DatabaseHandle } from '@herald/db';
import { kafkaReachable } from '@herald/kafka';
import { healthRoutes } from './health.routes';

/** What the api is built from; main.ts wires the real ones, tests may pass their own. */
export interface AppDependencies {
  logger: Logger;
  database: DatabaseHandle;
  kafkaAdmin: Admin;
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
    disableRequestLogging: false,
    bodyLimit: 64 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(swagger, {
    openapi: {
      info: { title: 'Herald API', version: '1.0.0', description: 'Signups, users, alerts and notification timelines.' },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, {
    readiness: () =>
      readiness([
        { name: 'postgres', check: () => databaseReachable(deps.database.pool) },
        { name: 'kafka', check: () => kafkaReachable(deps.kafkaAdmin) },
      ]),
  });
  return app;
}
