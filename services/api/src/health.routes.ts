import type { FastifyPluginAsync } from 'fastify';
import type { ReadinessReport } from '@herald/service-kit';
import { scrape } from '@herald/telemetry';

export interface HealthRoutesOptions {
  readiness: () => Promise<ReadinessReport>;
  /** Rows in the outbox not published yet, shown on /readyz; it does not decide readiness. */
  outboxBacklog?: () => Promise<number>;
}

/** `/healthz`: the process is alive. `/readyz`: Postgres and Kafka answer. `/metrics`: Prometheus. */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, options) => {
  app.get('/healthz', { config: { access: 'public' }, schema: { hide: true } }, async () => ({ status: 'ok', service: 'api' }));
  app.get('/readyz', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    const report = await options.readiness();
    // Asked only of a database that just answered, so a dead one does not slow the probe down.
    const backlog =
      report.checks.postgres === 'ok' ? await options.outboxBacklog?.().catch(() => undefined) : undefined;
    return reply
      .code(report.status === 'ok' ? 200 : 503)
      .send({ ...report, service: 'api', ...(backlog === undefined ? {} : { outbox: { backlog } }) });
  });
  app.get('/metrics', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    const { contentType, body } = await scrape();
    return reply.type(contentType).send(body);
  });
};
