import { eq } from 'drizzle-orm';
import { AlertRaised, assertEvent } from '@herald/contracts';
import { outbox } from '@herald/db';
import { ADMIN_TOKEN, anyString, testApp, type ErrorResponseBody } from './app.fixture';

interface AlertBody {
  id: string;
  message: string;
  severity: string;
  raised_at: string;
}

// Integration: through app.inject() against the real PostgreSQL.
describe('POST /api/v1/alerts', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(() => t.close());

  const raise = (payload: unknown, authorization?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/alerts',
      payload: payload as object,
      headers: authorization === undefined ? {} : { authorization },
    });

  it.each([
    ['no credential', undefined],
    ['a wrong token', 'Bearer not-the-token'],
    ['the token with another scheme', `Basic ${ADMIN_TOKEN}`],
    ['the token without a scheme', ADMIN_TOKEN],
    ['a prefix of the token', `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
  ])('answers 401 to %s', async (_what, authorization) => {
    const response = await raise({ message: 'disk full', severity: 'critical' }, authorization);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.json<ErrorResponseBody>().error).toBe('unauthorized');
  });

  it('checks the credential before the body', async () => {
    const response = await raise({ nonsense: true });
    expect(response.statusCode).toBe(401);
  });

  it('accepts an alert with 202 and writes AlertRaised keyed by the alert id', async () => {
    const response = await raise({ message: 'Disk <b>full</b> on db-1', severity: 'critical' }, `Bearer ${ADMIN_TOKEN}`);
    expect(response.statusCode).toBe(202);
    const alert = response.json<AlertBody>();
    expect(alert).toEqual({
      id: anyString,
      message: 'Disk <b>full</b> on db-1',
      severity: 'critical',
      raised_at: anyString,
    });
    const [row] = await t.database.db.select().from(outbox).where(eq(outbox.key, alert.id));
    expect(row?.topic).toBe(AlertRaised.name);
    expect(assertEvent(AlertRaised, row?.payload).data).toEqual({
      alertId: alert.id,
      message: alert.message,
      severity: 'critical',
      raisedAt: alert.raised_at,
    });
  });

  it.each([
    ['an unknown severity', { message: 'x', severity: 'fatal' }, ['severity']],
    ['a blank message', { message: '  ', severity: 'info' }, ['message']],
    ['an over-long message', { message: 'x'.repeat(2001), severity: 'info' }, ['message']],
    ['no fields', {}, ['message', 'severity']],
  ])('refuses %s with a 400 naming the field', async (_what, payload, fields) => {
    const response = await raise(payload, `Bearer ${ADMIN_TOKEN}`);
    expect(response.statusCode).toBe(400);
    expect(response.json<ErrorResponseBody>().errors?.map((e) => e.field)).toEqual(fields);
  });

  it('names the allowed severities', async () => {
    const response = await raise({ message: 'x', severity: 'fatal' }, `Bearer ${ADMIN_TOKEN}`);
    expect(response.json<ErrorResponseBody>().errors?.[0]?.message).toBe('must be one of: info, warning, critical');
  });
});
