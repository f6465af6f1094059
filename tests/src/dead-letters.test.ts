import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Partitioners } from 'kafkajs';
import { RetryHeaders, UserCreatedV2 } from '@herald/contracts';
import { DeadLetters } from '@herald/consumer';
import { openDatabase } from '@herald/db';
import { createKafka, publishEvents } from '@herald/kafka';
import { aSignup, infrastructure, slackAttempts, slackFault, slackPosts, startService, uniqueName, waitFor, type RunningService } from '@herald/testing';

// Dead letters as an operator handles them: list, inspect, redrive once the cause is fixed,
// refuse a redrive loop, purge. The Slack service fails through the stand-in's faults.
const ROOT = path.resolve(__dirname, '../..');
const run = uniqueName('dlq');
const path_ = `/services/T000/B000/${run}`;
const group = `${run}-slack`;
const dlq = `${group}.user.created.v2.dlq`;
const kafka = createKafka({ clientId: run, brokers: infrastructure().kafkaBrokers });
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
const database = openDatabase(infrastructure().databaseUrl, { max: 2 });
const letters = new DeadLetters(kafka, database, { maxRedrives: 1 });
/** A user written to `users`, and their UserCreated event: Slack reads the name from the row. */
const signUp = () => aSignup((query, values) => database.pool.query(query, values), { fullName: 'Dee Letter' });
let slack: RunningService;

beforeAll(async () => {
  await producer.connect();
  slack = await startService('slack', {
    CONSUMER_GROUP: group,
    SLACK_SIGNUPS_WEBHOOK_URL: `${infrastructure().slackSinkUrl}${path_}`,
  });
}, 90_000);

afterAll(async () => {
  await slack?.stop();
  await producer.disconnect();
  await database.close();
});

it('lists and inspects a dead letter, redrives it once the cause is fixed, and it is delivered once', async () => {
  await slackFault({ path: path_, status: 404, times: 1 });
  const { event, username } = await signUp();
  await publishEvents(producer, UserCreatedV2, [{ key: event.data.userId, event }]);

  const [letter] = await waitFor(async () => {
    const found = (await letters.list(dlq)).filter((l) => l.key === event.data.userId);
    return found.length > 0 && found;
  }, { timeoutMs: 30_000, description: 'the dead letter' });
  expect(letter).toMatchObject({
    dlq,
    value: event,
    error: { type: 'SLACK_NOT_FOUND' },
    attempts: 1,
    original: { topic: 'user.created.v2' },
    group,
    redriveCount: 0,
    redriven: null,
  });
  expect(letter!.error.stack).toContain('SlackError');
  expect(await letters.inspect(dlq, letter!.partition, letter!.offset)).toEqual(letter);
  expect((await letters.topics()).find((t) => t.dlq === dlq)).toMatchObject({ group, topic: 'user.created.v2', count: 1, redriven: 0 });

  // The cause is fixed (the fault was used up): redrive through the CLI, as an operator would.
  const cli = spawnSync(process.execPath, [path.join(ROOT, 'packages/consumer/dist/dlq-cli.js'), 'redrive', dlq, letter!.id], {
    encoding: 'utf8',
    env: { ...process.env, KAFKA_BROKERS: infrastructure().kafkaBrokers.join(','), DATABASE_URL: infrastructure().databaseUrl },
  });
  expect(cli.status).toBe(0);
  expect(JSON.parse(cli.stdout)).toEqual({ redriven: [letter!.id], refused: [] });

  await waitFor(async () => (await slackPosts(path_)).some((p) => p.text?.includes(username)), {
    timeoutMs: 30_000,
    description: 'the redriven Slack message',
  });
  expect(await slackAttempts(path_)).toHaveLength(2);
  const again = await letters.redrive(dlq, [letter!.id]);
  expect(again.redriven).toEqual([]);
  expect(again.refused[0]?.reason).toMatch(/^already redriven/);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect((await slackPosts(path_)).filter((p) => p.text?.includes(username))).toHaveLength(1);
});

it('a redriven letter that fails again comes back with its redrive count, and is not looped', async () => {
  const failing = `${path_}-always`;
  await slack.stop();
  slack = await startService('slack', { CONSUMER_GROUP: group, SLACK_SIGNUPS_WEBHOOK_URL: `${infrastructure().slackSinkUrl}${failing}` });
  await slackFault({ path: failing, status: 410, times: 10 });
  const { event } = await signUp();
  await publishEvents(producer, UserCreatedV2, [{ key: event.data.userId, event }]);
  const mine = async (count: number) =>
    waitFor(async () => {
      const found = (await letters.list(dlq)).filter((l) => l.key === event.data.userId);
      return found.length >= count && found;
    }, { timeoutMs: 30_000, description: `${count} dead letter(s) of the event` });

  const [first] = await mine(1);
  expect(first?.error.type).toBe('SLACK_GONE');
  expect((await letters.redrive(dlq, 'all')).redriven).toContain(first!.id);
  const [, second] = await mine(2);
  expect(second).toMatchObject({ redriveCount: 1, attempts: 1, error: { type: 'SLACK_GONE' } });
  expect(second!.headers[RetryHeaders.redriveCount]).toBe('1');
  const report = await letters.redrive(dlq, [second!.id]);
  expect(report.redriven).toEqual([]);
  expect(report.refused).toEqual([{ id: second!.id, reason: 'redriven 1 times already (limit 1)' }]);

  const purged = await letters.purge(dlq);
  expect(purged).toBeGreaterThanOrEqual(3);
  expect(await letters.list(dlq)).toEqual([]);
  expect((await letters.topics()).find((t) => t.dlq === dlq)).toMatchObject({ count: 0, redriven: 0 });
});

it('the api serves the same operations to an admin, and only to an admin', async () => {
  const token = randomBytes(32).toString('hex');
  const api = await startService('api', { ADMIN_TOKEN: token });
  const call = (method: string, url: string, body?: unknown, auth = true) =>
    fetch(`${api.url}${url}`, {
      method,
      headers: {
        ...(auth ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  try {
    const { event } = await signUp();
    await publishEvents(producer, UserCreatedV2, [{ key: event.data.userId, event }]);
    const letter = await waitFor(async () => {
      const response = await call('GET', `/api/v1/dead-letters/${dlq}`);
      const { letters: found } = (await response.json()) as { letters: { id: string; key: string }[] };
      return found.find((l) => l.key === event.data.userId);
    }, { timeoutMs: 30_000, description: 'the dead letter through the api' });

    expect((await call('GET', '/api/v1/dead-letters', undefined, false)).status).toBe(401);
    const topicsBody = (await (await call('GET', '/api/v1/dead-letters')).json()) as { topics: { dlq: string }[] };
    expect(topicsBody.topics.map((t) => t.dlq)).toContain(dlq);
    const one = await call('GET', `/api/v1/dead-letters/${dlq}/${letter.id}`);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ id: letter.id, value: event, error: { type: 'SLACK_GONE' } });
    expect((await call('GET', `/api/v1/dead-letters/${group}.user.deleted.v1.dlq`)).status).toBe(404);
    expect((await call('GET', `/api/v1/dead-letters/${dlq}/0:999999`)).status).toBe(404);
    expect((await call('GET', '/api/v1/dead-letters/users')).status).toBe(400);
    const neither = await call('POST', `/api/v1/dead-letters/${dlq}/redrive`, {});
    expect(neither.status).toBe(400);
    const redrive = await call('POST', `/api/v1/dead-letters/${dlq}/redrive`, { ids: [letter.id] });
    expect(await redrive.json()).toEqual({ redriven: [letter.id], refused: [] });
    const purge = await call('DELETE', `/api/v1/dead-letters/${dlq}`);
    expect(purge.status).toBe(200);
    expect(((await purge.json()) as { purged: number }).purged).toBeGreaterThanOrEqual(1);
  } finally {
    await api.stop();
  }
});
