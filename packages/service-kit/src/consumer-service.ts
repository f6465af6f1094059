import type { Admin } from 'kafkajs';
import { HealthServer, type ReadinessCheck } from './health-server';
import type { Logger } from './logger';
import { onShutdown } from './shutdown';

/** A running part of a service that can be stopped (a Nest app, a consumer, a pool). */
export interface Stoppable {
  close(): Promise<void>;
}

export interface ServiceProcessOptions {
  name: string;
  host: string;
  port: number;
  logger: Logger;
  checks: readonly ReadinessCheck[];
  /** Closed in this order on SIGINT/SIGTERM, after the health server. */
  parts: readonly Stoppable[];
}

/**
 * Serves /healthz and /readyz for a service without an HTTP API of its own and stops its parts
 * in order on SIGINT/SIGTERM (stop fetching, finish in-flight work, disconnect).
 */
export async function serveServiceProcess(options: ServiceProcessOptions): Promise<HealthServer> {
  const health = new HealthServer({
    service: options.name,
    host: options.host,
    port: options.port,
    checks: options.checks,
  });
  const address = await health.listen();
  options.logger.info({ port: address.port }, `${options.name} ready for probes on /healthz and /readyz`);
  onShutdown(options.logger, async () => {
    await health.close();
    for (const part of options.parts) await part.close();
  });
  return health;
}

/** Adapts a kafkajs admin to Stoppable. */
export function adminPart(admin: Admin): Stoppable {
  return { close: () => admin.disconnect() };
}
