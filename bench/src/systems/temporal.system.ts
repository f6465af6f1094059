import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { nowMs, sleep } from '../clock.ts';
import { TASK_QUEUE } from '../temporal/temporal.config.ts';
import type { drainWorkflow, followUpWorkflow } from '../temporal/workflows.ts';
import { startNode, stopProcess, waitForLine, waitHealthy, type BenchProcess } from './child-process.ts';
import type { DueFollowUp, SystemEnvironment, SystemUnderTest } from './system.ts';

const API_PORT = 3300;
/** Workflow starts in flight at once from the harness (each is one gRPC call and one write). */
const STARTS_IN_FLIGHT = 200;

/**
 * The Temporal peer, the system Herald replaces: the tutorial's workflow in the TypeScript SDK,
 * its api and one worker, on Temporal's dev server (started by the stack, `up temporal`).
 */
export class TemporalSystem implements SystemUnderTest {
  readonly name = 'temporal' as const;
  readonly apiUrl = `http://127.0.0.1:${API_PORT}`;
  /** Its api, as the tutorial's, takes signups without a credential. */
  signupHeaders(): Record<string, string> {
    return {};
  }
  /** About 60 timers a second fire and complete on this machine: 5,000 take a minute and a half. */
  readonly maxDrain = 5000;
  private readonly procs: BenchProcess[] = [];
  private readonly peerEnv: NodeJS.ProcessEnv;
  private readonly env: SystemEnvironment;
  private connection: Connection | undefined;
  private client: Client | undefined;

  constructor(env: SystemEnvironment) {
    this.env = env;
    this.peerEnv = {
      TEMPORAL_ADDRESS: env.temporalAddress,
      DATABASE_URL: env.databaseUrl,
      SMTP_URL: env.smtpUrl,
      SLACK_WEBHOOK_URL: env.slackWebhookUrl,
      FOLLOW_UP_DELAY_MS: String(env.followUpDelayMs),
    };
  }

  private script(name: string): string {
    return path.join(this.env.root, 'bench/src/temporal', name);
  }

  async start(): Promise<void> {
    this.connection = await Connection.connect({ address: this.env.temporalAddress });
    this.client = new Client({ connection: this.connection });
    const worker = startNode('temporal-worker', [this.script('temporal-worker.main.ts')], this.peerEnv, this.env.logDir, this.env.root);
    this.procs.push(worker);
    // The worker bundles its workflows with webpack first: seconds of CPU, once.
    await waitForLine(worker, /temporal worker ready/, 120_000);
    const api = startNode('temporal-api', [this.script('temporal-api.main.ts')], { ...this.peerEnv, PORT: String(API_PORT) }, this.env.logDir, this.env.root);
    this.procs.push(api);
    await waitHealthy(api, `${this.apiUrl}/healthz`);
  }

  processes(): BenchProcess[] {
    return [...this.procs];
  }

  async scheduleFollowUps(items: readonly DueFollowUp[], dueAt: number): Promise<void> {
    const client = this.started();
    await inBatches(items, (item) =>
      client.workflow.start<typeof followUpWorkflow>('followUpWorkflow', {
        taskQueue: TASK_QUEUE,
        workflowId: `follow-up-${this.env.runId}-${item.username}`,
        args: [{ userId: crypto.randomUUID(), email: item.email, username: item.username, fullName: 'Bench User' }, dueAt],
      }),
    );
  }

  async drain(count: number, dueAt: number): Promise<{ insertedAt: number; lastLeftAt: number }> {
    const client = this.started();
    const ids = Array.from({ length: count }, (_, i) => `drain-${this.env.runId}-${i}`);
    await inBatches(ids, (workflowId) => client.workflow.start<typeof drainWorkflow>('drainWorkflow', { taskQueue: TASK_QUEUE, workflowId, args: [dueAt] }));
    const insertedAt = nowMs();
    const running = `WorkflowType = 'drainWorkflow' AND ExecutionStatus = 'Running' AND WorkflowId STARTS_WITH 'drain-${this.env.runId}-'`;
    for (;;) {
      const { count: left } = await client.workflow.count(running);
      if (left === 0) return { insertedAt, lastLeftAt: nowMs() };
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    for (const proc of [...this.procs].reverse()) await stopProcess(proc);
    this.procs.length = 0;
    await this.connection?.close();
    this.connection = undefined;
    this.client = undefined;
  }

  private started(): Client {
    if (!this.client) throw new Error('temporal system not started');
    return this.client;
  }
}

/** Runs `start` for every item, STARTS_IN_FLIGHT at a time. */
async function inBatches<T>(items: readonly T[], start: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await start(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(STARTS_IN_FLIGHT, items.length) }, lane));
}
