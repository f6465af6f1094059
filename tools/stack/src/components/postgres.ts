import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Component } from '../component.ts';
import { endpoints } from '../endpoints.ts';
import { StackError } from '../errors.ts';
import { dirs } from '../paths.ts';
import { hasCommand, isAlive, logFile, portOpen, run, sleep } from '../proc.ts';

const PORT = 5432;
/**
 * The server's folders. As root the server runs as `postgres`, which must be able to reach them:
 * when the project sits under a folder that user cannot enter (/root, say), they live under
 * /var/tmp instead, named after the project's path.
 */
function serverDirs(): { data: string; sockets: string } {
  const inProject = { data: path.join(dirs.data, 'postgres'), sockets: path.join(dirs.run, 'postgres') };
  if (process.getuid?.() !== 0) return inProject;
  fs.mkdirSync(dirs.data, { recursive: true });
  const reachable = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', dirs.data]).status === 0;
  if (reachable) return inProject;
  const base = path.join('/var/tmp', `herald-${createHash('sha256').update(dirs.data).digest('hex').slice(0, 12)}`);
  return { data: path.join(base, 'postgres'), sockets: path.join(base, 'sockets') };
}

let resolved: { data: string; sockets: string } | undefined;
const server = () => (resolved ??= serverDirs());

/** Finds Debian's PostgreSQL server programs, newest major version first. */
function findBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  const majors = fs.existsSync(base)
    ? fs.readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    : [];
  for (const major of majors) {
    const bin = path.join(base, major, 'bin');
    if (fs.existsSync(path.join(bin, 'pg_ctl'))) return bin;
  }
  if (hasCommand('pg_ctl')) {
    return path.dirname(spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim());
  }
  return undefined;
}

/** PostgreSQL refuses to run as root; as root the server runs as the `postgres` user. */
function asServerUser(): string[] {
  if (process.getuid?.() !== 0) return [];
  const ok = spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status === 0;
  if (!ok) throw new StackError('user "postgres" not found: PostgreSQL cannot run as root (install the postgresql package, which creates it)');
  return ['runuser', '-u', 'postgres', '--'];
}

function pgRun(bin: string, program: string, args: string[], what: string): void {
  const prefix = asServerUser();
  const [command, ...rest] = [...prefix, path.join(bin, program), ...args];
  run(what, command as string, rest, { quiet: true });
}

function postmasterPid(): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(server().data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function canConnect(): Promise<boolean> {
  const client = new pg.Client({ connectionString: endpoints.databaseUrl, connectionTimeoutMillis: 1500 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Makes the data directory, owned by the server's user, once. */
function initialise(bin: string): void {
  const { data: DATA, sockets: SOCKETS } = server();
  if (fs.existsSync(path.join(DATA, 'PG_VERSION'))) return;
  fs.mkdirSync(DATA, { recursive: true });
  fs.mkdirSync(SOCKETS, { recursive: true });
  if (process.getuid?.() === 0) {
    run('chown', 'chown', ['-R', 'postgres:postgres', DATA, SOCKETS], { quiet: true });
  }
  const pwfile = path.join(SOCKETS, 'pwfile');
  fs.writeFileSync(pwfile, 'herald\n', { mode: 0o644 });
  try {
    pgRun(bin, 'initdb', ['-D', DATA, '-U', 'herald', `--pwfile=${pwfile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'], 'initdb');
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  fs.appendFileSync(
    path.join(DATA, 'postgresql.conf'),
    [
      '',
      '# Herald (native stack)',
      `listen_addresses = '127.0.0.1'`,
      `port = ${PORT}`,
      `unix_socket_directories = '${SOCKETS}'`,
      'max_connections = 200',
      'shared_buffers = 256MB',
      'fsync = on',
      'synchronous_commit = on',
      // Where PostgreSQL's time goes, per statement (docs/performance.md): CREATE EXTENSION
      // pg_stat_statements in a database to read it.
      "shared_preload_libraries = 'pg_stat_statements'",
      '',
    ].join('\n'),
  );
}

/** Creates the `herald` database when the server has the role but not the database. */
async function ensureDatabase(): Promise<void> {
  const admin = new pg.Client({
    connectionString: endpoints.databaseUrl.replace(/\/herald$/, '/postgres'),
    connectionTimeoutMillis: 2000,
  });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(`select 1 from pg_database where datname = 'herald'`);
    if (rowCount === 0) await admin.query('create database herald owner herald');
  } finally {
    await admin.end();
  }
}

export function postgresComponent(): Component {
  let bin: string | undefined;
  return {
    name: 'postgres',
    kind: 'infrastructure',
    ports: [PORT],
    urls: { PostgreSQL: endpoints.databaseUrl.replace(/:[^:@/]+@/, ':***@') },
    readyTimeoutMs: 60_000,
    async external() {
      // A server we did not start but that takes Herald's credentials is used as it is.
      return postmasterPid() === undefined && (await portOpen(PORT)) && (await canConnect());
    },
    async prepare() {
      bin = findBinDir();
      if (bin === undefined && process.getuid?.() === 0 && hasCommand('apt-get')) {
        process.stdout.write('postgres: installing PostgreSQL from Debian packages (apt-get install postgresql)\n');
        run('apt-get update', 'apt-get', ['update', '-qq'], { quiet: true });
        run('apt-get install postgresql', 'apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], {
          quiet: true,
          env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        });
        // Debian starts a cluster of its own on 5432; Herald runs its own server instead.
        spawnSync('sh', ['-c', 'pg_ctlcluster --force $(ls /etc/postgresql) main stop 2>/dev/null; true']);
        bin = findBinDir();
      }
      if (bin === undefined) {
        throw new StackError('PostgreSQL server not found: install it (apt-get install postgresql) or use docker compose up');
      }
      initialise(bin);
    },
    async launch() {
      if (bin === undefined) throw new StackError('postgres: prepare() was not called');
      fs.mkdirSync(server().sockets, { recursive: true });
      if (process.getuid?.() === 0) run('chown', 'chown', ['postgres:postgres', server().sockets], { quiet: true });
      fs.mkdirSync(dirs.logs, { recursive: true });
      const log = logFile('postgres');
      if (!fs.existsSync(log)) fs.writeFileSync(log, '');
      if (process.getuid?.() === 0) run('chown', 'chown', ['postgres', log], { quiet: true });
      pgRun(bin, 'pg_ctl', ['-D', server().data, '-l', log, '-w', '-t', '60', 'start'], 'pg_ctl start');
      await ensureDatabase();
    },
    async ready() {
      return canConnect();
    },
    pid: postmasterPid,
    async stop() {
      if (postmasterPid() === undefined) return;
      const binDir = bin ?? findBinDir();
      if (binDir) {
        try {
          pgRun(binDir, 'pg_ctl', ['-D', server().data, '-m', 'fast', '-w', '-t', '30', 'stop'], 'pg_ctl stop');
        } catch {
          /* fall through to the signal below */
        }
      }
      const pid = postmasterPid();
      if (pid !== undefined) {
        process.kill(pid, 'SIGQUIT');
        while (isAlive(pid)) await sleep(50);
      }
    },
  };
}
