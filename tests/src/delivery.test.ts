import { randomUUID } from 'node:crypto';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { RetryHeaders, UserCreatedV2, type EventOf } from '@herald/contracts';
import { openDatabase } from '@herald/db';
import { createKafka, publishEvents } from '@herald/kafka';
import {
  aSignup,
  aUserCreated,
  emailSource,
  emailsTo,
  infrastructure,
  metricValue,
  scrapeMetrics,
  slackAttempts,
  slackFault,
  slackPosts,
  startService,
  uniqueName,
  waitFor,
  type RunningService,
} from '@herald/testing';

// System: email and slack, each in a consumer group of its own for this file, consume UserCreated
// from the real Kafka, read the user it names from the real PostgreSQL and deliver to the real
// Mailpit and Slack stand-in.
const run = uniqueName('delivery');
const slackPath = `/services/T000/B000/${run}`;
const emailGroup = `${run}-email`;
const slackGroup = `${run}-slack`;

let kafka: Kafka;
let producer: Producer;
const database = openDatabase(infrastructure().databaseUrl, { max: 1 });
/** A user written to `users`, and their UserCreated event. */
const signUp = (fullName?: string) => aSignup((query, values) => database.pool.query(query, values), { fullName });
let email: RunningService;
let slack: RunningService;

async function publish(event: EventOf<typeof UserCreatedV2>): Promise<void> {
  await publishEvents(producer, UserCreatedV2, [{ key: event.data.userId, event }]);
}

beforeAll(async () => {
  kafka = createKafka({ clientId: run, brokers: infrastructure().kafkaBrokers });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const common = { CONSUMER_START: 'latest', RETRY_POLICY: JSON.stringify({ initialInterval: 'PT0.5S', maximumAttempts: 4, jitter: 0 }) };
  [email, slack] = await Promise.all([
    startService('email', { ...common, CONSUMER_GROUP: emailGroup }),
    startService('slack', { ...common, CONSUMER_GROUP: slackGroup, SLACK_SIGNUPS_WEBHOOK_URL: `${infrastructure().slackSinkUrl}${slackPath}` }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([email?.stop(), slack?.stop()]);
  await producer?.disconnect();
  await database.close();
});

describe('a signup', () => {
  it('gets one welcome email and one Slack announcement, with the name made inert', async () => {
    const user = await signUp('Eve <script>alert(1)</script> <!channel>');
    await publish(user.event);

    const [mail] = await waitFor(async () => {
      const found = await emailsTo(user.email);
      return found.length > 0 && found;
    }, { timeoutMs: 30_000, description: 'the welcome email in Mailpit' });
    expect(mail?.Subject).toBe('Welcome Eve <script>alert(1)</script> <!channel>!');
    expect(mail?.MessageID).toBe(`${user.event.id}@herald.local`);
    const source = await emailSource(mail!.ID);
    const html = source.slice(source.indexOf('text/html'));
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    // The subject is plain text on one header line: no header was added through the name.
    expect(source.match(/^Subject:/gm)).toHaveLength(1);

    const [post] = await waitFor(async () => {
      const found = (await slackPosts(slackPath)).filter((p) => p.text?.includes(user.username));
      return found.length > 0 && found;
    }, { timeoutMs: 30_000, description: 'the Slack announcement' });
    expect(post?.text).toContain('&lt;!channel&gt;');
    expect(post?.text).not.toMatch(/<!channel>/);
  });

  it('published twice gives one email and one Slack message', async () => {
    const user = await signUp();
    await publish(user.event);
    await waitFor(async () => (await emailsTo(user.email)).length === 1, { timeoutMs: 30_000, description: 'the first email' });
    await waitFor(async () => (await slackPosts(slackPath)).some((p) => p.text?.includes(user.username)), { timeoutMs: 30_000, description: 'the first Slack post' });
    await publish(user.event);
    // A marker published after the duplicate: once it is delivered, the duplicate has been seen.
    const marker = await signUp();
    await publish(marker.event);
    await waitFor(async () => (await emailsTo(marker.email)).length === 1, { timeoutMs: 30_000, description: 'the marker email' });
    await waitFor(async () => (await slackPosts(slackPath)).some((p) => p.text?.includes(marker.username)), { timeoutMs: 30_000, description: 'the marker Slack post' });
    expect(await emailsTo(user.email)).toHaveLength(1);
    expect((await slackPosts(slackPath)).filter((p) => p.text?.includes(user.username))).toHaveLength(1);
  });
});

describe('Slack failures', () => {
  it('honours a 429 Retry-After, and never makes email send twice', async () => {
    const path = `${slackPath}-429`;
    const retrying = await startService('slack', {
      CONSUMER_START: 'latest',
      CONSUMER_GROUP: `${slackGroup}-429`,
      RETRY_POLICY: JSON.stringify({ initialInterval: 'PT0.2S', maximumAttempts: 4, jitter: 0 }),
      SLACK_SIGNUPS_WEBHOOK_URL: `${infrastructure().slackSinkUrl}${path}`,
    });
    try {
      await slackFault({ path, status: 429, retryAfter: 2, times: 1 });
      const user = await signUp();
      await publish(user.event);
      const attempts = await waitFor(async () => {
        const found = await slackAttempts(path);
        return found.length >= 2 && found;
      }, { timeoutMs: 30_000, description: 'a second Slack attempt' });
      expect(attempts[0]?.status).toBe(429);
      expect(attempts[1]?.status).toBe(200);
      const gap = Date.parse(attempts[1]!.receivedAt) - Date.parse(attempts[0]!.receivedAt);
      expect(gap).toBeGreaterThanOrEqual(2000);
      await waitFor(async () => (await emailsTo(user.email)).length >= 1, { timeoutMs: 30_000, description: 'the welcome email' });
      expect(await emailsTo(user.email)).toHaveLength(1);
    } finally {
      await retrying.stop();
    }
  });

  it('sends a 404 to the dead-letter topic at once, with the story and no retry', async () => {
    const path = `${slackPath}-404`;
    const group = `${slackGroup}-404`;
    const failing = await startService('slack', {
      CONSUMER_START: 'latest',
      CONSUMER_GROUP: group,
      SLACK_SIGNUPS_WEBHOOK_URL: `${infrastructure().slackSinkUrl}${path}`,
    });
    const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
    try {
      await slackFault({ path, status: 404, times: 1 });
      const letters: { key: string; headers: Record<string, string>; value: string }[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: `${group}.user.created.v2.dlq`, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          letters.push({
            key: String(message.key),
            value: String(message.value),
            headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
          });
        },
      });
      const user = await signUp();
      await publish(user.event);
      const [letter] = await waitFor(() => letters.length > 0 && letters, { timeoutMs: 30_000, description: 'the dead letter' });
      expect(letter?.key).toBe(user.userId);
      expect(JSON.parse(letter!.value)).toEqual(user.event);
      expect(letter?.headers).toMatchObject({
        [RetryHeaders.errorType]: 'SLACK_NOT_FOUND',
        [RetryHeaders.attempt]: '1',
        [RetryHeaders.originalTopic]: 'user.created.v2',
        [RetryHeaders.group]: group,
      });
      expect(letter?.headers[RetryHeaders.errorStack]).toContain('SlackError');
      expect(await slackAttempts(path)).toHaveLength(1);
    } finally {
      await consumer.disconnect();
      await failing.stop();
    }
  });
});

describe('a message that fails validation', () => {
  it('goes to each group’s dead-letter topic at once, and the healthy one behind it is handled', async () => {
    const letters = new Map<string, { key: string; headers: Record<string, string> }[]>();
    const readers = [emailGroup, slackGroup].map((group) => {
      const reader = kafka.consumer({ groupId: uniqueName('dlq-reader') });
      letters.set(group, []);
      return { group, reader };
    });
    try {
      for (const { group, reader } of readers) {
        await reader.connect();
        await reader.subscribe({ topic: `${group}.user.created.v2.dlq`, fromBeginning: true });
        await reader.run({
          eachMessage: async ({ message }) => {
            letters.get(group)?.push({
              key: String(message.key),
              headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
            });
          },
        });
      }
      const healthy = await signUp();
      const key = healthy.userId;
      // Same key, so same partition: the bad message is right in front of the healthy one.
      await producer.send({
        topic: UserCreatedV2.name,
        messages: [
          { key, value: JSON.stringify({ ...healthy.event, id: randomUUID(), data: { ...healthy.event.data, createdAt: 'not a time' } }) },
          { key, value: JSON.stringify(healthy.event) },
        ],
      });
      await waitFor(async () => (await emailsTo(healthy.email)).length === 1, { timeoutMs: 30_000, description: 'the healthy email' });
      await waitFor(async () => (await slackPosts(slackPath)).some((p) => p.text?.includes(healthy.username)), { timeoutMs: 30_000, description: 'the healthy Slack post' });
      for (const { group } of readers) {
        const found = await waitFor(() => {
          const mine = letters.get(group)?.filter((l) => l.key === key) ?? [];
          return mine.length > 0 && mine;
        }, { timeoutMs: 30_000, description: `the dead letter in ${group}` });
        expect(found).toHaveLength(1);
        expect(found[0]?.headers[RetryHeaders.errorType]).toBe('CONTRACT_VIOLATION');
        expect(found[0]?.headers[RetryHeaders.errorMessage]).toContain('/data/createdAt');
        expect(found[0]?.headers[RetryHeaders.attempt]).toBe('1');
      }
    } finally {
      await Promise.all(readers.map(({ reader }) => reader.disconnect()));
    }
  });
});

describe('a user deleted before their signup is handled', () => {
  it('is owed nothing: email and Slack skip the event, with no retry and no dead letter', async () => {
    const gone = await signUp();
    // Erased as the api erases a user: the row keeps its id and deleted_at.
    await database.pool.query('update users set email = null, username = null, full_name = null, deleted_at = now() where id = $1', [gone.userId]);
    const unknown = aUserCreated();
    const scrape = () => Promise.all([email, slack].map((service) => scrapeMetrics(service.url)));
    const groups = [emailGroup, slackGroup];
    const count = (scraped: Awaited<ReturnType<typeof scrape>>, outcome: string) =>
      scraped.map((samples, i) => metricValue(samples, 'herald_handler_messages_total', { group: groups[i]!, outcome }));
    const before = await scrape();
    await publish(gone.event);
    await publish(unknown);

    const after = await waitFor(async () => {
      const scraped = await scrape();
      const skipped = count(scraped, 'skipped').map((n, i) => n - count(before, 'skipped')[i]!);
      return skipped.every((n) => n >= 2) && scraped;
    }, { timeoutMs: 30_000, description: 'both events skipped by email and by Slack' });
    for (const outcome of ['skipped', 'retried', 'dead_lettered']) {
      const moved = count(after, outcome).map((n, i) => n - count(before, outcome)[i]!);
      expect({ outcome, moved }).toEqual({ outcome, moved: outcome === 'skipped' ? [2, 2] : [0, 0] });
    }
    expect(await emailsTo(gone.email)).toHaveLength(0);
    expect((await slackPosts(slackPath)).filter((p) => p.text?.includes(gone.username))).toHaveLength(0);
  });
});
