// `npm run bench [-- --quick | --full] [options]` (see plan.ts for every option): Herald's whole
// pipeline and its two peers (BullMQ, and Temporal, the system Herald replaces), one after the
// other on the same machine and sinks, driven by the same open-loop generator. Results go to
// bench/results/ as JSON and markdown.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_DATABASE_URL, INFRA, INFRA_OF, StackServicesRunning, analyzeDatabase, deleteRunTopics, ensureInfrastructure, listenerPid, provision, refuseStackServices, resetDatabase, type InfraName } from './infra.ts';
import { planOf, UsageError, type Plan, type SystemName } from './plan.ts';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './report/cpu-profile.ts';
import { renderReport, type MeasuredStep, type Meta, type SystemResult } from './report/markdown.report.ts';
import { runDrain, runDueTogether, runRateStep, runRetryAccuracy, type Sinks } from './scenarios.ts';
import { startSinks } from './sinks/sink-host.ts';
import { machineBusySeconds, sampleUsage, type UsageSample } from './stats/proc-usage.ts';
import { BullmqSystem } from './systems/bullmq.system.ts';
import { HeraldSystem } from './systems/herald.system.ts';
import { TemporalSystem } from './systems/temporal.system.ts';
import type { SystemEnvironment, SystemUnderTest } from './systems/system.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const say = (line: string): void => {
  process.stdout.write(`bench: ${line}\n`);
};

/** The pids of the infrastructure a system runs on. */
function infraRoots(names: readonly InfraName[]): Record<string, number> {
  const roots: Record<string, number> = {};
  for (const name of names) {
    const pid = listenerPid(INFRA.ports[name]);
    if (pid !== undefined) roots[name] = pid;
  }
  return roots;
}

function sampleAll(pids: Record<string, number>): Record<string, UsageSample> {
  const out: Record<string, UsageSample> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const s = sampleUsage(pid);
    if (s) out[name] = s;
  }
  return out;
}

/** CPU seconds each of `pids` spent between two samples: the system's processes and infrastructure. */
function cpuSecondsBetween(before: Record<string, UsageSample>, after: Record<string, UsageSample>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([name, a]) => [name, a.cpuSeconds - (before[name]?.cpuSeconds ?? 0)]));
}

async function runSystem(system: SystemUnderTest, sinks: Sinks, plan: Plan, env: SystemEnvironment): Promise<SystemResult> {
  await resetDatabase();
  say(`${system.name}: starting`);
  await system.start();
  const pids: Record<string, number> = { ...infraRoots(INFRA_OF[system.name]) };
  for (const p of system.processes()) pids[p.name] = p.pid;
  const tag = `${env.runId}-${system.name}`;

  if (plan.warmupMs > 0) {
    say(`${system.name}: warm-up, 50/s for ${plan.warmupMs / 1000} s (not measured)`);
    await runRateStep(system, sinks, { rate: 50, durationMs: plan.warmupMs, prefix: `w${tag}`, followUpDelayMs: env.followUpDelayMs, settleMs: plan.settleMs });
  }
  await analyzeDatabase();
  const before = sampleAll(pids);
  const selfBefore = process.cpuUsage();
  const machineBefore = machineBusySeconds();

  const steps: MeasuredStep[] = [];
  for (const rate of plan.rates) {
    say(`${system.name}: ${rate} signups/s for ${plan.stepMs / 1000} s`);
    const atStart = sampleAll(pids);
    const rateStep = await runRateStep(system, sinks, { rate, durationMs: plan.stepMs, prefix: `r${rate}${tag}`, followUpDelayMs: env.followUpDelayMs, settleMs: plan.settleMs });
    const cpuSecondsByProcess = cpuSecondsBetween(atStart, sampleAll(pids));
    const cpuSeconds = Object.values(cpuSecondsByProcess).reduce((sum, seconds) => sum + seconds, 0);
    const step: MeasuredStep = { ...rateStep, cpuSeconds, cpuSecondsByProcess };
    steps.push(step);
    say(
      `${system.name}: ${rate}/s → api p99 ${step.api.p99.toFixed(0)} ms, errors ${step.errors}, welcome p50/p99 ${step.welcome.p50.toFixed(0)}/${step.welcome.p99.toFixed(0)} ms, ` +
        `slack p99 ${step.slack.p99.toFixed(0)} ms, follow-up late p99 ${step.followUpLateness.p99.toFixed(0)} ms, lost ${JSON.stringify(step.lost)}, sustained ${step.sustained}`,
    );
    if (!step.sustained) break;
  }
  const sustained = steps.filter((s) => s.sustained).map((s) => s.rate);

  say(`${system.name}: retry delays (${plan.retrySignups} Slack messages failing twice with 503)`);
  const retry = await runRetryAccuracy(system, sinks, `retry-${tag}`, plan.retrySignups);

  say(`${system.name}: ${plan.dueTogether} follow-ups falling due together`);
  const dueTogether: SystemResult['dueTogether'] = await runDueTogether(system, sinks, `late-${tag}`, plan.dueTogether);
  if (system instanceof HeraldSystem) {
    const { summarize } = await import('./stats/percentiles.ts');
    dueTogether.dispatch = summarize(await system.dispatchLateness());
  }

  const after = sampleAll(pids);
  const self = process.cpuUsage(selfBefore);
  const usage: SystemResult['usage'] = {};
  for (const [name, a] of Object.entries(after)) {
    const b = before[name];
    usage[name] = { cpuSeconds: a.cpuSeconds - (b?.cpuSeconds ?? 0), peakRssMiB: a.peakRssMiB };
  }
  usage['bench harness (load + sinks)'] = { cpuSeconds: (self.user + self.system) / 1e6, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
  // Whatever else ran on the machine meanwhile (another engineer's tests, say) shows here.
  const accounted = Object.values(usage).reduce((sum, u) => sum + u.cpuSeconds, 0);
  usage['rest of the machine'] = { cpuSeconds: Math.max(0, machineBusySeconds() - machineBefore - accounted), peakRssMiB: Number.NaN };

  const drainCount = Math.min(plan.drain, system.maxDrain ?? plan.drain);
  say(`${system.name}: drain of ${drainCount} delayed messages due together`);
  const drain = await runDrain(system, drainCount, plan.drainLeadMs);
  say(`${system.name}: drain ${drain.perSecond.toFixed(0)}/s (rows handed over in ${drain.handOverSeconds.toFixed(1)} s, due after ${(plan.drainLeadMs / 1000).toFixed(0)} s)`);

  await system.stop();
  say(`${system.name}: stopped`);
  // The signups of the window the CPU was measured over: the steps' and the retry test's.
  const signups = steps.reduce((sum, s) => sum + s.accepted, 0) + retry.signups;
  const result: SystemResult = { steps, maxSustainedRate: sustained.length > 0 ? Math.max(...sustained) : 0, retry, dueTogether, drain, usage, signups };
  if (system instanceof HeraldSystem && env.cpuProfileDir) result.cpuProfiles = profilesIn(env.cpuProfileDir);
  return result;
}

/** Summaries of the `.cpuprofile` files the services wrote into `dir` on exit. */
function profilesIn(dir: string): Record<string, ProfileSummary> {
  const summaries: Record<string, ProfileSummary> = {};
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
    const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    summaries[file.replace(/\.cpuprofile$/, '')] = summarizeProfile(profile, ROOT);
  }
  return summaries;
}

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const plan = planOf(process.argv.slice(2));
  const loadAtStart = os.loadavg()[0] ?? 0;
  const runId = Date.now().toString(36);
  say(`${plan.mode} run ${runId}: rates ${plan.rates.join(', ')}/s, ${plan.stepMs / 1000} s each; systems ${plan.systems.join(', ')}`);
  const systems: Record<SystemName, (env: SystemEnvironment) => SystemUnderTest> = {
    herald: (env) => new HeraldSystem(env),
    bullmq: (env) => new BullmqSystem(env),
    temporal: (env) => new TemporalSystem(env),
  };
  await refuseStackServices();
  await ensureInfrastructure(ROOT, [...new Set(plan.systems.flatMap((name) => INFRA_OF[name]))]);
  await provision(ROOT);
  const sinkThread = await startSinks();
  const sinks: Sinks = { smtp: sinkThread.smtp, slack: sinkThread.slack };
  const logDir = path.join(process.env.HERALD_HOME ?? path.join(ROOT, '.herald'), 'logs', 'bench');
  const env: SystemEnvironment = {
    runId,
    root: ROOT,
    logDir,
    databaseUrl: BENCH_DATABASE_URL,
    kafkaBrokers: INFRA.kafkaBrokers,
    redisUrl: INFRA.redisUrl,
    temporalAddress: INFRA.temporalAddress,
    smtpUrl: sinks.smtp.url,
    slackWebhookUrl: sinks.slack.webhookUrl,
    followUpDelayMs: 10_000,
    otlpUrl: INFRA.otlpUrl,
    traceRatio: plan.traceRatio,
    ...(plan.cpuProfile ? { cpuProfileDir: path.join(logDir, `cpu-${runId}`) } : {}),
  };
  const results: Partial<Record<SystemName, SystemResult>> = {};
  try {
    for (const name of plan.systems) {
      const system = systems[name](env);
      try {
        results[name] = await runSystem(system, sinks, plan, env);
      } catch (error) {
        await system.stop().catch(() => undefined);
        throw error;
      }
    }
  } finally {
    await sinkThread.stop();
    await deleteRunTopics(runId);
  }
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  const meta: Meta = {
    date: new Date().toISOString(),
    commit: `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' (with uncommitted changes)' : ''}`,
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    mode: plan.mode,
    node: process.versions.node,
    sinks: 'the bench\'s counting SMTP sink (smtp-server) and counting Slack sink (node:http), in the harness process, for every figure; Mailpit is not used',
    notes: [
      `open-loop arrivals at fixed rates, ${plan.stepMs / 1000} s a step after ${plan.warmupMs / 1000} s of warm-up at 50/s (not measured); latencies from each request's scheduled send time`,
      'sustained: no API error, no welcome, Slack message or follow-up lost, and p99 of each channel ≤ 2 s',
      `follow-up delay ${env.followUpDelayMs / 1000} s for both systems, so follow-ups are part of the load`,
      plan.traceRatio > 0
        ? `Herald traces ${Number((plan.traceRatio * 100).toFixed(2))}% of signups (parentbased_traceidratio), exported to Jaeger on the same machine; the peer has no tracing`
        : 'tracing off in Herald (OTEL_SDK_DISABLED), as in the peer',
      `retry policy for both: 5 attempts, 1 s then ×2, no jitter; the Slack sink answers 503 twice`,
      `load average (1 min) at start: ${loadAtStart.toFixed(2)}; "rest of the machine" is CPU used meanwhile by processes of neither system`,
      'drain: Herald = scheduled_messages rows dispatched to Kafka (email service stopped); BullMQ = delayed jobs taken by a no-op worker; Temporal = workflows whose timer fires, then complete',
      'BullMQ peer: fastify api writes the user row (same table) then enqueues (not atomic with the insert); Redis with appendonly everysec',
      'Temporal peer: the same api starts the tutorial\'s workflow (TypeScript SDK, one worker process, 50 activities at a time); dev server v1.5.1 on SQLite in WAL mode, synchronous=normal',
      'CPU seconds: of the system\'s own processes and the infrastructure it runs on (Herald: PostgreSQL, Kafka, Jaeger; BullMQ: PostgreSQL, Redis; Temporal: PostgreSQL, its server). A step\'s CPU a signup runs from its first signup to its last delivery (or its settle deadline), divided by its signups; the whole run\'s, from the first step to the end of the due-together test (drain excluded), divided by the signups of the steps and the retry test',
    ],
  };
  const dir = path.join(ROOT, 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const base = `${meta.date.slice(0, 19).replace(/[:T]/g, '-')}-${plan.mode}`;
  fs.writeFileSync(path.join(dir, `${base}.json`), `${JSON.stringify({ meta, plan, results }, null, 2)}\n`);
  const report = renderReport(meta, results);
  fs.writeFileSync(path.join(dir, `${base}.md`), report);
  process.stdout.write(`\n${report}\n`);
  say(`results in bench/results/${base}.json and .md`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof StackServicesRunning) {
      process.stderr.write(`bench: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
