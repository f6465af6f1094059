import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { scrape } from '@herald/telemetry';

/** A named readiness check: resolves true when the dependency answers. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, 'ok' | 'failing'>;
}

/** Runs every check (in parallel, each bounded by `timeoutMs`). */
export async function readiness(
  checks: readonly ReadinessCheck[],
  timeoutMs = 2500,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const ok = await Promise.race([
          check(),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), timeoutMs);
          }),
        ]);
        return [name, ok ? 'ok' : 'failing'] as const;
      } catch {
        return [name, 'failing'] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const report = Object.fromEntries(results);
  return {
    status: results.every(([, r]) => r === 'ok') ? 'ok' : 'unavailable',
    checks: report,
  };
}

export interface HealthServerOptions {
  service: string;
  host: string;
  port: number;
  checks: readonly ReadinessCheck[];
  /** Extra routes (e.g. /metrics); return false when the route is not handled. */
  extra?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean | Promise<boolean>;
}

/**
 * The small HTTP server a consumer service runs beside its Kafka consumer:
 * `GET /healthz` answers 200 while the process is alive; `GET /readyz` answers 200 when every
 * readiness check passes and 503 with the failing ones otherwise; `GET /metrics` serves the
 * process's Prometheus metrics.
 */
export class HealthServer {
  private readonly server: http.Server;

  constructor(private readonly options: HealthServerOptions) {
    this.server = http.createServer((req, res) => {
      void this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      return json(res, 200, { status: 'ok', service: this.options.service });
    }
    if (req.method === 'GET' && path === '/readyz') {
      const report = await readiness(this.options.checks);
      return json(res, report.status === 'ok' ? 200 : 503, { ...report, service: this.options.service });
    }
    if (req.method === 'GET' && path === '/metrics') {
      const { contentType, body } = await scrape();
      res.writeHead(200, { 'content-type': contentType });
      res.end(body);
      return;
    }
    if (this.options.extra && (await this.options.extra(req, res))) return;
    json(res, 404, { error: 'not found' });
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
