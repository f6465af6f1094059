import { startService, waitFor, type RunningService } from '@herald/testing';

// System: every service starts from its build against the real Kafka and Postgres, answers its
// probes, reports a missing dependency on /readyz, and stops cleanly on SIGTERM.
describe.each(['api', 'email', 'slack', 'scheduler'] as const)('the %s service', (name) => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService(name);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('is alive on /healthz and ready on /readyz with Kafka and Postgres reachable', async () => {
    const health = await fetch(`${service.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { kafka: 'ok', postgres: 'ok' } });
  });

  it('exits 0 on SIGTERM', async () => {
    await expect(service.stop('SIGTERM')).resolves.toBe(0);
  });
});

describe('a service whose database is unreachable', () => {
  it('stays alive but answers 503 on /readyz naming postgres', async () => {
    const service = await startService(
      'email',
      { DATABASE_URL: 'postgres://herald:herald@127.0.0.1:1/herald' },
      { waitReady: false },
    );
    try {
      const body = await waitFor(
        async () => {
          const response = await fetch(`${service.url}/readyz`);
          return response.status === 503 ? ((await response.json()) as { checks: Record<string, string> }) : undefined;
        },
        { timeoutMs: 20_000, description: 'readyz to answer 503' },
      );
      expect(body.checks).toMatchObject({ postgres: 'failing', kafka: 'ok' });
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    } finally {
      await service.stop();
    }
  });
});

describe('a service with a bad variable', () => {
  it('refuses to start with one line naming it', async () => {
    const service = await startService('api', { PORT: 'eighty' }, { waitReady: false });
    const code = await service.exited;
    expect(code).toBe(1);
    expect(service.output().trim()).toMatch(/^api: cannot start: invalid configuration: PORT is "eighty"/);
    expect(service.output().trim().split('\n')).toHaveLength(1);
  });
});

describe('the api without a strong admin token', () => {
  it.each([
    ['unset', '', 'ADMIN_TOKEN is not set'],
    ['a known default', 'change-me', 'ADMIN_TOKEN is a known default'],
    ['too short', 'a1b2c3d4e5f6', 'ADMIN_TOKEN is shorter than 32 characters'],
  ])('refuses to start when it is %s, with one line naming it and how to make one', async (_case, token, reason) => {
    const service = await startService('api', { ADMIN_TOKEN: token }, { waitReady: false });
    expect(await service.exited).toBe(1);
    const output = service.output().trim();
    expect(output.split('\n')).toHaveLength(1);
    expect(output).toContain(`api: cannot start: invalid configuration: ${reason}`);
    expect(output).toContain('openssl rand -hex 32');
    if (token !== '') expect(output).not.toContain(token);
  });
});

describe('a service without a credential of its own', () => {
  const refused = 'mysql://herald:pw-nobody-may-see@db/herald';
  it.each([
    ['api', { DATABASE_URL: '' }, 'DATABASE_URL is not set: set it to the PostgreSQL connection'],
    ['email', { DATABASE_URL: '' }, 'DATABASE_URL is not set: set it to the PostgreSQL connection'],
    ['scheduler', { DATABASE_URL: refused }, 'DATABASE_URL is set: Expected string to match'],
    ['slack', { SLACK_ALERTS_WEBHOOK_URL: '' }, 'SLACK_ALERTS_WEBHOOK_URL is not set: set it to the incoming-webhook URL'],
  ] as const)('%s refuses to start, in one line naming it and never its value (%j)', async (name, env, reason) => {
    const service = await startService(name, env, { waitReady: false });
    expect(await service.exited).toBe(1);
    const output = service.output().trim();
    expect(output.split('\n')).toHaveLength(1);
    expect(output).toContain(`${name}: cannot start: invalid configuration: ${reason}`);
    expect(output).not.toContain('pw-nobody-may-see');
  });
});
