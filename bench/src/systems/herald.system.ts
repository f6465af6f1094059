import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Producer } from 'kafkajs';
import { FollowUpRequestedV2, newEvent, ScheduleRequested } from '@herald/contracts';
import { createKafka, HeraldPartitioner, toMessage } from '@herald/kafka';
import { nowMs, sleep } from '../clock.ts';
import { signalGroup, startNode, stopProcess, waitHealthy, type BenchProcess } from './child-process.ts';
import type { DueFollowUp, SystemEnvironment, SystemUnderTest } from './system.ts';

export const SERVICES = ['api', 'email', 'slack', 'scheduler'] as const;
export type Service = (typeof SERVICES)[number];
const PORTS: Record<Service, number> = { api: 3100, email: 3101, slack: 3102, scheduler: 3103 };

/** Herald's four services, started from their built dist/ with the bench's sinks and database. */
export class HeraldSystem implements SystemUnderTest {
  readonly name = 'herald' as const;
  readonly apiUrl = `http://127.0.0.1:${PORTS.api}`;
  private readonly procs = new Map<Service, BenchProcess>();
  private readonly db: pg.Pool;

  private readonly env: SystemEnvironment;
  /** The api refuses to start without a strong admin token: one of its own for each run. */
  private readonly adminToken = randomBytes(32).toString('hex');
  /** The signup key the load carries, as a product's backend would; made at start. */
  private signupKey = '';
  /** Publishes the schedule requests of the due-together and drain scenarios; made on first use. */
  private producer: Producer | undefined;

  constructor(env: SystemEnvironment) {
    this.env = env;
    this.db = new pg.Pool({ connectionString: env.databaseUrl, max: 4 });
    // A fault run restarts PostgreSQL under it: an idle client's error must not end the run.
    this.db.on('error', () => undefined);
  }

  private environment(service: Service): NodeJS.ProcessEnv {
    const policy = JSON.stringify({ maximumAttempts: 5, initialInterval: 'PT1S', backoffCoefficient: 2, maximumInterval: 'PT1M', jitter: 0 });
    return {
      HOST: '127.0.0.1',
      PORT: String(PORTS[service]),
      LOG_LEVEL: 'warn',
      DATABASE_URL: this.env.databaseUrl,
      ADMIN_TOKEN: this.adminToken,
      // The load is one key's: its budget must not be what the bench measures.
      SIGNUP_RATE_LIMIT_PER_KEY: '100000000',
      KAFKA_BROKERS: this.env.kafkaBrokers,
      SMTP_URL: this.env.smtpUrl,
      SLACK_SIGNUPS_WEBHOOK_URL: this.env.slackWebhookUrl,
      SLACK_ALERTS_WEBHOOK_URL: this.env.slackWebhookUrl.replace(/signups$/, 'alerts'),
      RETRY_POLICY: this.env.retryPolicy ?? policy,
      CONSUMER_START: 'latest',
      CONSUMER_GROUP: `bench-${this.env.runId}-${service}`,
      FOLLOW_UP_DELAY: `PT${this.env.followUpDelayMs / 1000}S`,
      // Set here, not inherited: a run measures the tracing its report states.
      OTEL_EXPORTER_OTLP_ENDPOINT: this.env.otlpUrl,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: String(this.env.traceRatio),
      OTEL_SDK_DISABLED: this.env.traceRatio === 0 ? 'true' : 'false',
    };
  }

  async start(): Promise<void> {
    this.signupKey = await this.createSignupKey();
    for (const service of SERVICES) await this.startService(service);
  }

  signupHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.signupKey}` };
  }

  /** A key of the signup scope, made with the api's own CLI (`npm run keys`). */
  private async createSignupKey(): Promise<string> {
    const cli = path.join(this.env.root, 'services/api/dist/api-keys.cli.js');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'create', '--name', `bench-${this.env.runId}`, '--scope', 'signup'], {
      env: { ...process.env, DATABASE_URL: this.env.databaseUrl },
    });
    return String((JSON.parse(stdout) as { key: string }).key);
  }

  /** Sends `signal` to a service's process group and waits for it to exit. */
  async signal(service: Service, signal: NodeJS.Signals): Promise<void> {
    const proc = this.procs.get(service);
    if (proc) await signalGroup(proc, signal);
  }

  /** Starts a service again after it exited, and waits until it is ready. */
  async restart(service: Service): Promise<void> {
    await this.startService(service);
  }

  /** Where a service serves Prometheus metrics. */
  metricsUrl(service: Service): string {
    return `http://127.0.0.1:${PORTS[service]}/metrics`;
  }

  /** Each service's pid, and whether that process is still running. */
  liveness(): Record<string, { pid: number; running: boolean }> {
    const out: Record<string, { pid: number; running: boolean }> = {};
    for (const [service, proc] of this.procs) out[service] = { pid: proc.pid, running: proc.child.exitCode === null && proc.child.signalCode === null };
    return out;
  }

  async startService(service: Service): Promise<void> {
    const main = path.join(this.env.root, 'services', service, 'dist/main.js');
    const dir = this.env.cpuProfileDir;
    const args = dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=herald-${service}.cpuprofile`, main] : [main];
    const proc = startNode(`herald-${service}`, args, this.environment(service), this.env.logDir, this.env.root);
    this.procs.set(service, proc);
    await waitHealthy(proc, `http://127.0.0.1:${PORTS[service]}/readyz`);
  }

  processes(): BenchProcess[] {
    return [...this.procs.values()];
  }

  async scheduleFollowUps(items: readonly DueFollowUp[], dueAt: number): Promise<void> {
    await this.scheduleDue(items, dueAt, 'late');
  }

  /**
   * Schedules follow-ups as a product would, and as the peers do through their own APIs: one
   * `schedule.requested.v1` event each, which the scheduler's intake stores, waking its dispatcher.
   * (Rows written behind the scheduler's back wake nothing: they would wait for the dispatcher's
   * next look, up to DISPATCH_MAX_IDLE_MS.) A follow-up names its user by id and the email service
   * reads the address from `users`, so the `late` kind, which is sent, writes its users first
   * (`drain`'s are never sent: its email service is stopped). Resolves once every row is stored.
   */
  private async scheduleDue(items: readonly DueFollowUp[], dueAt: number, kind: 'late' | 'drain'): Promise<void> {
    const dueDate = new Date(dueAt);
    const dueIso = dueDate.toISOString();
    const prefix = `bench:${kind}:${this.env.runId}:`;
    const due = items.map((item) => ({ ...item, userId: crypto.randomUUID(), scheduleKey: `${prefix}${item.username}` }));
    if (kind === 'late') {
      for (let i = 0; i < due.length; i += 1000) {
        const users = due.slice(i, i + 1000).map(({ userId, email, username }) => [userId, email, username, 'Bench User']);
        const rows = users.map((_, r) => `($${r * 4 + 1}, $${r * 4 + 2}, $${r * 4 + 3}, $${r * 4 + 4})`);
        await this.db.query(`insert into users (id, email, username, full_name) values ${rows.join(', ')}`, users.flat());
      }
    }
    const producer = await this.scheduleProducer();
    for (let i = 0; i < due.length; i += 1000) {
      const messages = due.slice(i, i + 1000).map(({ userId, scheduleKey }) => {
        const value = newEvent(FollowUpRequestedV2, { userId, dueAt: dueIso }, undefined, dueDate);
        const request = newEvent(ScheduleRequested, { scheduleKey, topic: FollowUpRequestedV2.name, key: userId, dueAt: dueIso, value });
        return toMessage(ScheduleRequested, scheduleKey, request);
      });
      await producer.send({ topic: ScheduleRequested.name, acks: -1, messages });
    }
    for (;;) {
      const { rows } = await this.db.query<{ stored: string }>(`select count(*) as stored from scheduled_messages where schedule_key like $1`, [`${prefix}%`]);
      if (Number(rows[0]?.stored) >= due.length) return;
      await sleep(100);
    }
  }

  private async scheduleProducer(): Promise<Producer> {
    if (!this.producer) {
      const kafka = createKafka({ clientId: `bench-${this.env.runId}`, brokers: this.env.kafkaBrokers.split(','), log: () => undefined });
      this.producer = kafka.producer({ createPartitioner: HeraldPartitioner });
      await this.producer.connect();
    }
    return this.producer;
  }

  async drain(count: number, dueAt: number): Promise<{ insertedAt: number; lastLeftAt: number }> {
    // Nothing is to send the follow-ups: the dispatcher alone is timed, as the peer's no-op worker.
    const email = this.procs.get('email');
    if (email) {
      await stopProcess(email);
      this.procs.delete('email');
    }
    const items = Array.from({ length: count }, (_, i) => ({ email: `drain-${this.env.runId}-${i}@bench.test`, username: `drain-${this.env.runId}-${i}` }));
    await this.scheduleDue(items, dueAt, 'drain');
    const insertedAt = nowMs();
    const due = new Date(dueAt);
    // The poll must cost the database next to nothing: it runs while the drain is measured. The
    // pending rows due at `dueAt` come straight from the dispatcher's own partial index. A row
    // stays pending to others until its round commits, after the Kafka send: the drain ends when
    // the poll first finds none (as the peer's poll of its queue; the rows' dispatched_at is
    // their round's start, which left out the last round's send and gave absurd rates when one
    // round took them all).
    for (;;) {
      const { rows } = await this.db.query<{ left: boolean }>(
        `select exists (select 1 from scheduled_messages where state = 'pending' and due_at = $1) as left`,
        [due],
      );
      if (!rows[0]?.left) return { insertedAt, lastLeftAt: nowMs() };
      await sleep(100);
    }
  }

  /** Dispatch lateness (dispatched_at − due_at) of the `late` rows, ms, from the table. */
  async dispatchLateness(): Promise<number[]> {
    const { rows } = await this.db.query<{ ms: number }>(
      `select extract(epoch from (dispatched_at - due_at)) * 1000 as ms from scheduled_messages
        where schedule_key like $1 and dispatched_at is not null`,
      [`bench:late:${this.env.runId}:%`],
    );
    return rows.map((r) => Number(r.ms));
  }

  async stop(): Promise<void> {
    for (const service of [...SERVICES].reverse()) {
      const proc = this.procs.get(service);
      if (proc) await stopProcess(proc);
    }
    this.procs.clear();
    await this.producer?.disconnect();
    this.producer = undefined;
    await this.db.end();
  }
}
