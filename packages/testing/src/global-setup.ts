import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startContainers, dockerAvailable } from './containers';
import { infrastructure } from './infrastructure';
import { runStack } from './stack';

const ROOT = path.resolve(__dirname, '../../..');
let done = false;

function node(what: string, args: string[]): void {
  // The commands default no database (its URL carries a password): they get the tests' own.
  const env = { ...process.env, DATABASE_URL: infrastructure().databaseUrl };
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit', env });
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status ?? result.signal})`);
}

/**
 * Jest global setup shared by every workspace: makes sure real infrastructure is there, once per
 * jest run. With a Docker engine (HERALD_INFRA=containers, or found by HERALD_INFRA=auto)
 * testcontainers starts Kafka, PostgreSQL and Mailpit; otherwise the project's own stack tool
 * brings up the native stack (`npm test` has done so already and says it with
 * HERALD_STACK_READY=1). Then the database is migrated and the contract topics are created, with
 * the same commands the stack runs.
 */
export default async function globalSetup(): Promise<void> {
  if (done) return;
  done = true;
  const mode = process.env.HERALD_INFRA ?? 'auto';
  if (mode === 'containers' || (mode === 'auto' && (await dockerAvailable()))) {
    Object.assign(process.env, await startContainers());
  } else if (process.env.HERALD_STACK_READY !== '1') {
    runStack('up', 'postgres', 'kafka', 'mailpit', 'jaeger', 'slack-sink');
  }
  if (process.env.HERALD_STACK_READY !== '1') {
    node('database migrations', [path.join(ROOT, 'packages/db/dist/migrate.js')]);
    node('Kafka topics', [path.join(ROOT, 'packages/kafka/dist/create-topics.js')]);
  }
}
