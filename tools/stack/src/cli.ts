// The stack tool: `npm start`, `npm test`, `npm run dev` and `npm run stack -- <command>`.
// Run by scripts/herald.sh with Node >= 22.19, which runs this TypeScript as it is.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Component } from './component.ts';
import { scramBrokerEnvironment } from './components/kafka.ts';
import { adminToken, endpoints, serviceEnvironment } from './endpoints.ts';
import { StackError } from './errors.ts';
import { ROOT } from './paths.ts';
import { byName, components, infrastructure, requirements, services, standard } from './registry.ts';
import { build, down, heldPorts, printUrls, provision, status, up } from './stack.ts';

const USAGE = `usage:
  npm start                          everything up in the foreground; Ctrl-C stops it all
  npm test [-- jest arguments]       infrastructure up, build, migrate, then every test
  npm run dev                        infrastructure up, then turbo run dev (watch mode)
  npm run stack -- up [component..]  start (all by default) in the background, wait until ready
  npm run stack -- down              stop everything the stack started
  npm run stack -- status            state of every component (exit 1 unless all healthy)
  npm run stack -- start <component> | stop <component>
  npm run stack -- urls | logs <component>
  npm run keys | dlq | topics | db:migrate   an operator's command against this stack
components: ${components.map((c) => c.name).join(', ')}; groups: infra, services`;

/** Names (or the groups `infra`, `services`) to components, with what they need, in start order. */
function select(names: readonly string[]): Component[] {
  const chosen = new Set<Component>();
  const add = (component: Component): void => {
    if (chosen.has(component)) return;
    chosen.add(component);
    for (const need of requirements(component)) add(need);
  };
  if (names.length === 0) standard.forEach(add);
  for (const name of names) {
    if (name === 'infra') infrastructure.forEach(add);
    else if (name === 'services') services.forEach(add);
    else add(byName(name));
  }
  return components.filter((c) => chosen.has(c));
}

/** The infrastructure the tests use (the services are started by the tests that need them). */
const TEST_INFRA = ['postgres', 'kafka', 'mailpit', 'jaeger', 'slack-sink'];

function runInherit(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 + 15 : 1));
    });
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'stack':
      return main(rest);
    case 'up':
    case 'start':
      if (command === 'start' && rest.length === 0) return foreground();
      await up(select(rest));
      return 0;
    case 'stop':
    case 'down': {
      if (command === 'stop' && rest.length === 0) throw new StackError('stop needs a component name');
      const selected = rest.length === 0 ? components : rest.flatMap((n) => (n === 'infra' ? infrastructure : n === 'services' ? services : [byName(n)]));
      await down(selected);
      if (rest.length === 0) {
        const held = await heldPorts();
        if (held.length > 0) {
          process.stdout.write(`note: ports ${held.join(', ')} are still held by processes the stack did not start\n`);
        }
      }
      return 0;
    }
    case 'status':
      return (await status(rest.length === 0 ? standard : select(rest))) ? 0 : 1;
    case 'urls':
      printUrls();
      return 0;
    case 'logs': {
      const name = rest[0];
      if (!name) throw new StackError('logs needs a component name');
      byName(name);
      process.stdout.write(`${path.join(ROOT, '.herald/logs', `${name}.log`)}\n`);
      return 0;
    }
    case 'test':
      return test(rest);
    case 'dev':
      return dev();
    case 'with-stack':
      return withStack(rest);
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 1 : 0;
    default:
      throw new StackError(`unknown command "${command}"\n${USAGE}`);
  }
}

/** `npm start`: everything up, URLs printed, and everything stopped again on Ctrl-C. */
async function foreground(): Promise<number> {
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping everything...\n');
    await down();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  try {
    await up(standard);
  } catch (error) {
    await down();
    throw error;
  }
  process.stdout.write('\nHerald is running:\n');
  printUrls(standard);
  process.stdout.write('Press Ctrl-C to stop everything.\n');
  // Stay in the foreground until a signal arrives.
  await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
  return 0;
}

/** `npm test`: infrastructure up, build, migrations and topics, then jest over every workspace. */
async function test(jestArgs: readonly string[]): Promise<number> {
  await up(select(TEST_INFRA));
  await provision();
  const env = {
    ...serviceEnvironment(),
    HERALD_INFRA: process.env.HERALD_INFRA ?? 'native',
    HERALD_STACK_READY: '1',
    MAILPIT_URL: endpoints.mailpitUrl,
    JAEGER_URL: endpoints.jaegerUrl,
    SLACK_SINK_URL: endpoints.slackSinkUrl,
    // The SCRAM broker is started by the one test that uses it (`up kafka-sasl`).
    ...scramBrokerEnvironment(),
  };
  const jest = path.join(ROOT, 'node_modules/jest/bin/jest.js');
  if (jestArgs.length > 0) return runInherit(process.execPath, [jest, ...jestArgs], env);
  // Every test, then the ones that stop shared infrastructure, alone, then the fault suite in its
  // short form; one closing line for all three.
  const summary = path.join(os.tmpdir(), `herald-tests-${process.pid}.jsonl`);
  fs.rmSync(summary, { force: true });
  const withSummary = { ...env, HERALD_TEST_SUMMARY_FILE: summary };
  const main = await runInherit(process.execPath, [jest], withSummary);
  const disruptive = await runInherit(
    process.execPath,
    [jest, '--config', path.join(ROOT, 'tests/jest.disruptive.config.js'), '--runInBand'],
    withSummary,
  );
  // It stops and starts Kafka and PostgreSQL: it waits for any bench or fault run on the machine.
  const faults = await runInherit('flock', ['/tmp/herald-heavy.lock', process.execPath, path.join(ROOT, 'bench/src/faults/faults.main.ts'), '--short'], withSummary);
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const lines = fs.existsSync(summary) ? fs.readFileSync(summary, 'utf8').trim().split('\n').filter(Boolean) : [];
  for (const line of lines) {
    const counts = JSON.parse(line) as typeof totals;
    totals.passed += counts.passed;
    totals.failed += counts.failed;
    totals.skipped += counts.skipped;
  }
  fs.rmSync(summary, { force: true });
  if (lines.length < 3) totals.failed += 3 - lines.length;
  process.stderr.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
  return [main, disruptive, faults].find((code) => code !== 0) ?? 0;
}

/** `npm run dev`: infrastructure up, then every service in watch mode through turbo. */
async function dev(): Promise<number> {
  await up(select(['infra']));
  await build();
  await provision();
  process.stdout.write(`\nAdmin token of this stack (Authorization: Bearer …; kept in .herald/admin-token): ${adminToken()}\n\n`);
  // turbo runs each service's `dev` script (tsc-watch: compile, start, and on a change to that
  // service's sources compile and restart it alone), prefixing every line with the service.
  return runInherit(path.join(ROOT, 'node_modules/.bin/turbo'), ['run', 'dev', '--filter=./services/*', '--ui=stream'], {
    ...serviceEnvironment(),
    LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
    TURBO_TELEMETRY_DISABLED: '1',
  });
}

/**
 * `npm run keys | dlq | topics | db:migrate`: an operator's command, pointed at this checkout's
 * stack. The commands themselves default no database (its URL carries a password); what the
 * caller set wins, so the same scripts reach another deployment.
 */
function withStack(commandLine: readonly string[]): Promise<number> {
  const [command, ...args] = commandLine;
  if (!command) throw new StackError('with-stack needs a command');
  const local: NodeJS.ProcessEnv = { DATABASE_URL: endpoints.databaseUrl, KAFKA_BROKERS: endpoints.kafkaBrokers };
  const unset = Object.fromEntries(Object.entries(local).filter(([name]) => !process.env[name]));
  return runInherit(command, args, unset);
}

// `npm run stack -- status | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof StackError) {
      process.stderr.write(`herald: ${error.message}\n`);
    } else {
      process.stderr.write(`herald: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exit(1);
  },
);
