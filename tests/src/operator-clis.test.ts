import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The operator's CLIs (`npm run dlq`, `npm run keys`), from their build: a command line they
// cannot run gets its reason and the usage, exit 64, before anything connects; an unreachable
// database gets one line saying why, without the statement or its parameters.
const ROOT = path.resolve(__dirname, '../..');
const CLIS = { dlq: 'packages/consumer/dist/dlq-cli.js', keys: 'services/api/dist/api-keys.cli.js' } as const;

function run(cli: keyof typeof CLIS, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [path.join(ROOT, CLIS[cli]), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 30_000 });
}

describe('npm run dlq', () => {
  it.each([
    [[]],
    [['frobnicate']],
    [['redrive', 'g.user.created.v2.dlq']],
    [['redrive', 'g.user.created.v2.dlq', '0:1', '--all']],
    [['show', 'g.user.created.v2.dlq', '7']],
    [['purge']],
    [['list', '--everything']],
  ])('refuses %j with the usage, exit 64, with no database to reach', (args) => {
    const cli = run('dlq', args);
    expect(cli.status).toBe(64);
    expect(cli.stderr).toMatch(/^dlq: .+\nusage: npm run dlq -- list/);
  });
});

describe('npm run keys', () => {
  it.each([[[]], [['create', '--scope', 'signup']], [['create', '--name', 'n', '--scope', 'root']], [['revoke']], [['list', 'all']]])(
    'refuses %j with the usage, exit 64, with no database to reach',
    (args) => {
      const cli = run('keys', args);
      expect(cli.status).toBe(64);
      expect(cli.stderr).toMatch(/^keys: .+\nusage: npm run keys -- create/);
    },
  );

  it('says why the database is out of reach in one line, without the statement or a password', () => {
    const cli = run('keys', ['create', '--name', 'shop-backend', '--scope', 'signup'], { DATABASE_URL: 'postgres://herald:pw-nobody-may-see@127.0.0.1:1/herald' });
    expect(cli.status).toBe(1);
    expect(cli.stderr.trim()).toMatch(/^keys: connect ECONNREFUSED 127\.0\.0\.1:1$/);
    expect(cli.stderr).not.toMatch(/insert|shop-backend|pw-nobody-may-see/);
  });

  it('stops without DATABASE_URL, naming it', () => {
    const cli = run('keys', ['list']);
    expect(cli.status).toBe(1);
    expect(cli.stderr.trim()).toBe('keys: invalid configuration: DATABASE_URL is not set: set it to the PostgreSQL connection, postgres://user:password@host:5432/database; there is no default');
  });
});
