import { spawn } from 'node:child_process';
import path from 'node:path';
import { assertPortsFree, type Component } from './component.ts';
import { adminToken, endpoints, serviceEnvironment } from './endpoints.ts';
import { StackError } from './errors.ts';
import { ROOT } from './paths.ts';
import { components } from './registry.ts';
import { logFile, portOpen, waitUntil } from './proc.ts';

export type State = 'healthy' | 'starting' | 'unhealthy' | 'stopped' | 'external';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Runs a command of the repository to completion with its output shown; throws when it fails. */
export function runStep(what: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...env },
    });
    child.once('error', (error) => reject(new StackError(`${what}: ${error.message}`)));
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new StackError(`${what} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

/** `turbo run build`: every package and service, incrementally. */
export async function build(): Promise<void> {
  say('build: turbo run build');
  await runStep('build', path.join(ROOT, 'node_modules/.bin/turbo'), ['run', 'build', '--output-logs=errors-only'], {
    TURBO_TELEMETRY_DISABLED: '1',
    TURBO_NO_UPDATE_NOTIFIER: '1',
  });
}

/** Applies the database migrations and creates the Kafka topics of packages/contracts. */
export async function provision(): Promise<void> {
  const env = serviceEnvironment();
  await runStep('database migrations', process.execPath, [path.join(ROOT, 'packages/db/dist/migrate.js')], env);
  await runStep('Kafka topics', process.execPath, [path.join(ROOT, 'packages/kafka/dist/create-topics.js')], env);
}

export async function stateOf(component: Component): Promise<State> {
  if (component.pid() !== undefined) {
    return (await component.ready()) ? 'healthy' : 'unhealthy';
  }
  if (component.external && (await component.external())) return 'external';
  return 'stopped';
}

/** Starts one component unless it already runs, and waits until it is ready. */
export async function startComponent(component: Component): Promise<void> {
  const pid = component.pid();
  if (pid !== undefined) {
    await waitUntil(component.name, () => component.ready(), component.readyTimeoutMs);
    say(`${component.name.padEnd(11)} already running (pid ${pid})`);
    return;
  }
  if (component.external && (await component.external())) {
    say(`${component.name.padEnd(11)} using the server already running on port ${component.ports[0]}`);
    return;
  }
  component.check?.();
  await assertPortsFree(component);
  await component.prepare();
  const started = Date.now();
  await component.launch();
  try {
    await waitUntil(
      component.name,
      () => component.ready(),
      component.readyTimeoutMs,
      250,
      () => component.pid() !== undefined,
    );
  } catch (error) {
    throw new StackError(`${(error as Error).message}; see ${path.relative(process.cwd(), logFile(component.name))}`);
  }
  say(`${component.name.padEnd(11)} ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${component.pid() ?? '?'})`);
}

export async function stopComponent(component: Component): Promise<void> {
  const pid = component.pid();
  if (pid === undefined) return;
  await component.stop();
  say(`${component.name.padEnd(11)} stopped`);
}

/**
 * Brings up the given components in start order. Node programs need a build, and services need
 * the database migrated and the topics created, so those steps run when they are included.
 */
export async function up(selected: readonly Component[]): Promise<void> {
  const ordered = components.filter((c) => selected.includes(c));
  const needsBuild = ordered.some((c) => c.name === 'slack-sink' || c.kind === 'service');
  const needsProvision = ordered.some((c) => c.kind === 'service');
  if (needsBuild) await build();
  let provisioned = false;
  for (const component of ordered) {
    if (component.kind === 'service' && needsProvision && !provisioned) {
      await provision();
      provisioned = true;
    }
    await startComponent(component);
  }
}

export async function down(selected: readonly Component[] = components): Promise<void> {
  for (const component of [...components].reverse()) {
    if (selected.includes(component)) await stopComponent(component);
  }
}

/** Prints a line per component: state, pid, ports. Returns true when every one is healthy. */
export async function status(selected: readonly Component[] = components): Promise<boolean> {
  let allHealthy = true;
  say(`${'component'.padEnd(11)} ${'state'.padEnd(9)} ${'pid'.padEnd(8)} ports`);
  for (const component of selected) {
    const state = await stateOf(component);
    if (state !== 'healthy' && state !== 'external') allHealthy = false;
    say(`${component.name.padEnd(11)} ${state.padEnd(9)} ${String(component.pid() ?? '-').padEnd(8)} ${component.ports.join(',')}`);
  }
  return allHealthy;
}

/** Lists what people open: UIs, APIs, endpoints. */
export function printUrls(selected: readonly Component[] = components): void {
  say('');
  for (const component of selected) {
    for (const [label, url] of Object.entries(component.urls)) say(`  ${label.padEnd(20)} ${url}`);
  }
  say(`  ${'Logs'.padEnd(20)} ${path.relative(process.cwd(), path.dirname(logFile('x'))) || '.'}/`);
  if (selected.some((c) => c.name === 'api')) {
    // A development stack's own secret, made for it: the admin endpoints need it.
    say(`  ${'Admin token'.padEnd(20)} ${adminToken()} (Authorization: Bearer …; kept in .herald/admin-token)`);
  }
  say('');
}

/** Ports that something still listens on among the given components'. */
export async function heldPorts(selected: readonly Component[] = components): Promise<number[]> {
  const held: number[] = [];
  for (const component of selected) {
    for (const port of component.ports) if (await portOpen(port)) held.push(port);
  }
  return held;
}

export { endpoints };
