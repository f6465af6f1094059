import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { infrastructure } from './infrastructure';
import { waitFor } from './wait-for';
import { uniqueName } from './names';

const ROOT = path.resolve(__dirname, '../../..');

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A Herald service started by a test from its built dist/main.js. */
export interface RunningService {
  url: string;
  port: number;
  child: ChildProcess;
  /** The environment it runs with (ADMIN_TOKEN among it, for the api). */
  env: NodeJS.ProcessEnv;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then wait for the exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `services/<name>` against the test infrastructure on a free port and waits until its
 * /readyz answers 200. `env` overrides its environment.
 */
export async function startService(
  name: 'api' | 'email' | 'slack' | 'scheduler',
  env: NodeJS.ProcessEnv = {},
  options: { readyTimeoutMs?: number; waitReady?: boolean } = {},
): Promise<RunningService> {
  const infra = infrastructure();
  const port = await freePort();
  const serviceEnv: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    DATABASE_URL: infra.databaseUrl,
    SMTP_URL: infra.smtpUrl,
    SLACK_SIGNUPS_WEBHOOK_URL: `${infra.slackSinkUrl}/services/T000/B000/signups`,
    SLACK_ALERTS_WEBHOOK_URL: `${infra.slackSinkUrl}/services/T000/B000/alerts`,
    OTEL_EXPORTER_OTLP_ENDPOINT: infra.otlpUrl,
    // A consumer group of its own that starts at the end: a test's service neither competes
    // with the stack's services nor replays what other tests published.
    CONSUMER_GROUP: uniqueName(`test-${name}`),
    CONSUMER_START: 'latest',
    ...env,
  };
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(ROOT, 'services', name, 'dist/main.js')], {
    cwd: path.join(ROOT, 'services', name),
    env: serviceEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const service: RunningService = {
    url,
    port,
    child,
    env: serviceEnv,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.waitReady === false) return service;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${output}`);
        const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
        return response.status === 200;
      },
      { timeoutMs: options.readyTimeoutMs ?? 30_000, intervalMs: 200, description: `${name} to be ready` },
    );
  } catch (error) {
    await service.stop('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- ${name} output ---\n${output}`, { cause: error });
  }
  return service;
}
