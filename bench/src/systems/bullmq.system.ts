import path from 'node:path';
import { Queue } from 'bullmq';
import { nowMs, sleep } from '../clock.ts';
import type { SignupJob } from '../peer/deliveries.ts';
import { QUEUES, connectionOf, readPeerSettings } from '../peer/peer.config.ts';
import { startNode, stopProcess, waitForLine, waitHealthy, type BenchProcess } from './child-process.ts';
import type { DueFollowUp, SystemEnvironment, SystemUnderTest } from './system.ts';

const API_PORT = 3200;

/** The BullMQ peer: its api and one worker process per queue, on the bench's Redis. */
export class BullmqSystem implements SystemUnderTest {
  readonly name = 'bullmq' as const;
  readonly apiUrl = `http://127.0.0.1:${API_PORT}`;
  /** Its api, as the tutorial's, takes signups without a credential. */
  signupHeaders(): Record<string, string> {
    return {};
  }
  private readonly procs: BenchProcess[] = [];
  private readonly peerEnv: NodeJS.ProcessEnv;
  private readonly queues: { email: Queue<SignupJob>; drain: Queue };

  private readonly env: SystemEnvironment;

  constructor(env: SystemEnvironment) {
    this.env = env;
    this.peerEnv = {
      REDIS_URL: env.redisUrl,
      QUEUE_PREFIX: `bench-${env.runId}`,
      DATABASE_URL: env.databaseUrl,
      SMTP_URL: env.smtpUrl,
      SLACK_WEBHOOK_URL: env.slackWebhookUrl,
      FOLLOW_UP_DELAY_MS: String(env.followUpDelayMs),
    };
    const settings = readPeerSettings(this.peerEnv);
    const options = { connection: connectionOf(settings), prefix: settings.prefix };
    this.queues = { email: new Queue<SignupJob>(QUEUES.email, options), drain: new Queue(QUEUES.drain, options) };
  }

  private script(name: string): string {
    return path.join(this.env.root, 'bench/src/peer', name);
  }

  async start(): Promise<void> {
    const api = startNode('bullmq-api', [this.script('peer-api.main.ts')], { ...this.peerEnv, PORT: String(API_PORT) }, this.env.logDir, this.env.root);
    this.procs.push(api);
    for (const queue of [QUEUES.email, QUEUES.slack, QUEUES.drain]) {
      const worker = startNode(`bullmq-${queue}`, [this.script('peer-worker.main.ts')], { ...this.peerEnv, QUEUE: queue }, this.env.logDir, this.env.root);
      this.procs.push(worker);
      await waitForLine(worker, /ready/);
    }
    await waitHealthy(api, `${this.apiUrl}/healthz`);
  }

  processes(): BenchProcess[] {
    return [...this.procs];
  }

  async scheduleFollowUps(items: readonly DueFollowUp[], dueAt: number): Promise<void> {
    const delay = Math.max(0, dueAt - nowMs());
    await this.queues.email.addBulk(
      items.map(({ email, username }) => ({
        name: 'follow-up',
        data: { userId: crypto.randomUUID(), email, username, fullName: 'Bench User' },
        opts: { delay, removeOnComplete: true },
      })),
    );
  }

  async drain(count: number, dueAt: number): Promise<{ insertedAt: number; lastLeftAt: number }> {
    for (let i = 0; i < count; i += 1000) {
      const delay = Math.max(0, dueAt - nowMs());
      const n = Math.min(1000, count - i);
      await this.queues.drain.addBulk(Array.from({ length: n }, (_, k) => ({ name: 'due', data: { n: i + k }, opts: { delay, removeOnComplete: true } })));
    }
    const insertedAt = nowMs();
    for (;;) {
      const counts = await this.queues.drain.getJobCounts('delayed', 'wait', 'active', 'prioritized');
      if (Object.values(counts).every((n) => n === 0)) return { insertedAt, lastLeftAt: nowMs() };
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    for (const proc of [...this.procs].reverse()) await stopProcess(proc);
    this.procs.length = 0;
    await Promise.all([this.queues.email.close(), this.queues.drain.close()]);
  }
}
