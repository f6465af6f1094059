import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import kafkajs from 'kafkajs';
import pg from 'pg';
import type { SystemName } from './plan.ts';

const { Kafka, logLevel } = kafkajs;

/** Where the shared native stack listens (tools/stack/src/endpoints.ts). */
export const INFRA = {
  databaseUrl: 'postgres://herald:herald@127.0.0.1:5432/herald',
  kafkaBrokers: '127.0.0.1:9092',
  redisUrl: 'redis://127.0.0.1:6379',
  temporalAddress: '127.0.0.1:7233',
  /** Jaeger's OTLP/HTTP receiver: Herald's services export their sampled traces to it. */
  otlpUrl: 'http://127.0.0.1:4318',
  ports: { postgres: 5432, kafka: 9092, redis: 6379, jaeger: 4318, temporal: 7233 },
} as const;

export type InfraName = keyof typeof INFRA.ports;

/**
 * The infrastructure each system runs on: its CPU counts as the system's, and a system's run
 * counts no other (Kafka idling through the peers' runs, say).
 */
export const INFRA_OF: Readonly<Record<SystemName, readonly InfraName[]>> = {
  herald: ['postgres', 'kafka', 'jaeger'],
  bullmq: ['postgres', 'redis'],
  temporal: ['postgres', 'temporal'],
};

/** The bench's own database on the same server, so that its rows never meet the tests'. */
export const BENCH_DATABASE_URL = INFRA.databaseUrl.replace(/\/herald$/, '/herald_bench');

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function run(root: string, what: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code})`))));
  });
}

/** Where the stack's own services listen (tools/stack/src/endpoints.ts), not the bench's. */
const STACK_SERVICE_PORTS = { api: 3000, email: 3001, slack: 3002, scheduler: 3003 } as const;

/** The stack's own services run: a run would be measured against them. */
export class StackServicesRunning extends Error {
  override readonly name = 'StackServicesRunning';
}

/**
 * Refuses to run beside the stack's own services (`npm start`, `npm run dev`). The bench publishes
 * to the real topics, so they would consume its events (their api's timeline filling with the
 * bench's signups, their scheduler storing its schedule requests) and spend the cores it measures.
 */
export async function refuseStackServices(): Promise<void> {
  const running: string[] = [];
  for (const [name, port] of Object.entries(STACK_SERVICE_PORTS)) if (await portOpen(port)) running.push(`${name} (port ${port})`);
  if (running.length === 0) return;
  throw new StackServicesRunning(
    `the stack's services are running: ${running.join(', ')}. They would consume the bench's events and share its cores; stop them first: npm run stack -- stop services`,
  );
}

/**
 * Brings up the infrastructure the systems of a run need through the stack tool, unless it already
 * answers (the other worktree's stack, say: the bench reuses it and never stops it). Herald's
 * includes Jaeger so that its traces always go somewhere: with no receiver, every export of a
 * batch of spans is retried for seconds, and whether one happened to be running decided what a
 * run measured.
 */
export async function ensureInfrastructure(root: string, components: readonly InfraName[]): Promise<void> {
  const missing: string[] = [];
  for (const name of components) if (!(await portOpen(INFRA.ports[name]))) missing.push(name);
  if (missing.length > 0) await run(root, 'stack up', [path.join(root, 'tools/stack/src/cli.ts'), 'up', ...missing]);
}

/** Creates herald_bench when missing, migrates it and creates the contract topics. */
export async function provision(root: string): Promise<void> {
  const admin = new pg.Client({ connectionString: INFRA.databaseUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(`select 1 from pg_database where datname = 'herald_bench'`);
    if (rowCount === 0) await admin.query('create database herald_bench owner herald');
  } finally {
    await admin.end();
  }
  const env = { DATABASE_URL: BENCH_DATABASE_URL, KAFKA_BROKERS: INFRA.kafkaBrokers };
  await run(root, 'migrations', [path.join(root, 'packages/db/dist/migrate.js')], env);
  await run(root, 'topics', [path.join(root, 'packages/kafka/dist/create-topics.js')], env);
}

/** Empties the bench database's tables, so that each system starts from the same state. */
export async function resetDatabase(): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await client.connect();
  try {
    await client.query(
      'truncate users, outbox, idempotency_keys, processed_events, consumer_outbox, scheduled_messages, notification_timeline, dead_letter_redrives',
    );
    await client.query('vacuum analyze');
  } finally {
    await client.end();
  }
}

/**
 * Refreshes the planner's statistics of the bench database, after the warm-up: a system that has
 * run for a minute has had its tables analyzed by autovacuum, and the measured steps should not
 * run on the statistics of the empty tables the reset left (with them PostgreSQL scans the whole
 * outbox and scheduled_messages tables for every round of the relay and the dispatcher).
 */
export async function analyzeDatabase(): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await client.connect();
  try {
    await client.query('analyze');
  } finally {
    await client.end();
  }
}

/** The pid listening on a port (the root of PostgreSQL's, Kafka's, Redis's or Jaeger's process tree). */
export function listenerPid(port: number): number | undefined {
  const out = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' }).stdout;
  const match = /pid=(\d+)/.exec(out ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * Deletes the topics a run's consumer groups made (`bench-<runId>-<service>.<topic>.retry.*`,
 * `.redrive`, `.dlq`): every run makes new groups, and a dev broker that keeps them all piles up
 * thousands of partitions and starts slowly. A failure is reported, not thrown.
 */
export async function deleteRunTopics(runId: string): Promise<void> {
  const admin = new Kafka({ clientId: 'herald-bench-cleanup', brokers: [INFRA.kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const names = (await admin.listTopics()).filter((name) => name.startsWith(`bench-${runId}-`));
    for (let i = 0; i < names.length; i += 100) {
      await admin.deleteTopics({ topics: names.slice(i, i + 100), timeout: 30_000 });
    }
  } catch (error) {
    process.stderr.write(`bench: topics of run ${runId} not deleted: ${error instanceof Error ? error.message : String(error)}\n`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
