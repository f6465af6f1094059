import { sleep } from '../clock.ts';
import { listenerPid, INFRA } from '../infra.ts';
import type { SlackSinkView, SmtpSinkView } from '../sinks/sink-host.ts';
import { SERVICES, type HeraldSystem, type Service } from '../systems/herald.system.ts';

/** What a fault acts on. */
export interface FaultContext {
  system: HeraldSystem;
  smtp: SmtpSinkView;
  slack: SlackSinkView;
  /** Runs the stack tool: `stack('stop', 'kafka')`. */
  stack: (...args: string[]) => void;
}

/** One fault, injected once mid-load; inject() resolves when the fault is over. */
export interface FaultCase {
  name: string;
  /**
   * Processes killed without a goodbye: each may double what the SMTP server or the webhook
   * accepted in its last milliseconds (at most 2 a kill is the target); every other case doubles
   * nothing.
   */
  kills: number;
  /** The fault is outside Herald: every Herald process must keep its pid and keep running. */
  keepsPids: boolean;
  inject(ctx: FaultContext): Promise<void>;
}

/** How long a stopped service stays down before it is started again. */
const SERVICE_DOWN_MS = 2000;

function serviceCase(service: Service, signal: 'SIGTERM' | 'SIGKILL'): FaultCase {
  return {
    name: `${service} ${signal}`,
    kills: signal === 'SIGKILL' ? 1 : 0,
    keepsPids: false,
    async inject({ system }) {
      await system.signal(service, signal);
      await sleep(SERVICE_DOWN_MS);
      await system.restart(service);
    },
  };
}

function outage(name: string, downMs: number, stop: (ctx: FaultContext) => Promise<void> | void, start: (ctx: FaultContext) => Promise<void> | void): FaultCase {
  return {
    name,
    kills: 0,
    keepsPids: true,
    async inject(ctx) {
      await stop(ctx);
      await sleep(downMs);
      await start(ctx);
    },
  };
}

/** Kills PostgreSQL's postmaster with SIGKILL: its next start runs crash recovery. */
async function killPostgres(): Promise<void> {
  const pid = listenerPid(INFRA.ports.postgres);
  if (pid === undefined) throw new Error('PostgreSQL is not listening: nothing to kill');
  process.kill(pid, 'SIGKILL');
  // Its backends notice the postmaster is gone and exit; the port is free once they have.
  for (let i = 0; i < 100 && listenerPid(INFRA.ports.postgres) !== undefined; i += 1) await sleep(100);
}

/** Every case of the suite, in the order it runs them. */
export const FAULT_CASES: readonly FaultCase[] = [
  ...SERVICES.map((s) => serviceCase(s, 'SIGTERM')),
  ...SERVICES.map((s) => serviceCase(s, 'SIGKILL')),
  outage('Kafka stopped 20 s', 20_000, ({ stack }) => stack('stop', 'kafka'), ({ stack }) => stack('start', 'kafka')),
  outage('PostgreSQL stopped 20 s', 20_000, ({ stack }) => stack('stop', 'postgres'), ({ stack }) => stack('start', 'postgres')),
  outage('PostgreSQL SIGKILL, 20 s down', 20_000, killPostgres, ({ stack }) => stack('start', 'postgres')),
  outage(
    'Kafka and PostgreSQL stopped 20 s',
    20_000,
    ({ stack }) => {
      stack('stop', 'kafka');
      stack('stop', 'postgres');
    },
    ({ stack }) => {
      stack('start', 'postgres');
      stack('start', 'kafka');
    },
  ),
  outage('SMTP down 30 s', 30_000, ({ smtp }) => smtp.stop(), ({ smtp }) => smtp.start(smtp.port)),
  outage(
    'Slack webhook 429 for 30 s',
    30_000,
    ({ slack }) => void (slack.outage = { status: 429, retryAfterSeconds: 5 }),
    ({ slack }) => void (slack.outage = undefined),
  ),
  outage(
    'Slack webhook 503 for 30 s',
    30_000,
    ({ slack }) => void (slack.outage = { status: 503 }),
    ({ slack }) => void (slack.outage = undefined),
  ),
];

/** The cases whose name contains one of `filters` (case-insensitive); all when none is given. */
export function selectCases(filters: readonly string[]): FaultCase[] {
  if (filters.length === 0) return [...FAULT_CASES];
  const chosen = FAULT_CASES.filter((c) => filters.some((f) => c.name.toLowerCase().includes(f.toLowerCase())));
  if (chosen.length === 0) throw new Error(`no fault case matches ${filters.join(', ')}; cases: ${FAULT_CASES.map((c) => c.name).join('; ')}`);
  return chosen;
}
