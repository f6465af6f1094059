import type { FastifyPluginAsync } from 'fastify';
import type { ReadinessReport } from '@herald/service-kit';

export interface HealthRoutesOptions {
  readiness: () => Promise<ReadinessReport>;
}

/** `/healthz`: the process is alive. `/readyz`: Postgres and Kafka answer. */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, options) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok', service: 'api' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const report = await options.readiness();
    return reply.code(report.status === 'ok' ? 200 : 503).send({ ...report, service: 'api' });
  });
};
