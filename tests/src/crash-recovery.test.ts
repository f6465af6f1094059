import { Partitioners } from 'kafkajs';
import { UserCreatedV2 } from '@herald/contracts';
import { openDatabase } from '@herald/db';
import { createKafka, publishEvents } from '@herald/kafka';
import { aSignup, infrastructure, slackAttempts, slackFault, slackPosts, startService, uniqueName, waitFor } from '@herald/testing';

// A consumer killed (SIGKILL, no goodbye) while a message waits in its retry topic: the next
// process of the group delivers it, once.
it('loses nothing and doubles nothing when killed while a retry waits', async () => {
  const group = uniqueName('crash-slack');
  const path = `/services/T000/B000/${group}`;
  const env = { CONSUMER_GROUP: group, SLACK_SIGNUPS_WEBHOOK_URL: `${infrastructure().slackSinkUrl}${path}` };
  const producer = createKafka({ clientId: group, brokers: infrastructure().kafkaBrokers }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  let slack = await startService('slack', env);
  const database = openDatabase(infrastructure().databaseUrl, { max: 1 });
  try {
    await slackFault({ path, status: 429, retryAfter: 4, times: 1 });
    const user = await aSignup((query, values) => database.pool.query(query, values), { fullName: 'Crash Test' });
    await publishEvents(producer, UserCreatedV2, [{ key: user.userId, event: user.event }]);
    await waitFor(async () => (await slackAttempts(path)).length === 1, { timeoutMs: 30_000, description: 'the first, rate-limited attempt' });
    // Give the retry time to be written to the retry topic, then kill before it is due.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await slack.stop('SIGKILL');

    slack = await startService('slack', env);
    await waitFor(async () => (await slackPosts(path)).some((p) => p.text?.includes(user.username)), {
      timeoutMs: 60_000,
      description: 'the delivery after the restart',
    });
    // Let anything that could still double it arrive first.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await slackPosts(path)).filter((p) => p.text?.includes(user.username))).toHaveLength(1);
    const attempts = await slackAttempts(path);
    expect(attempts.map((a) => a.status)).toEqual([429, 200]);
    expect(Date.parse(attempts[1]!.receivedAt) - Date.parse(attempts[0]!.receivedAt)).toBeGreaterThanOrEqual(4000);
  } finally {
    await slack.stop();
    await producer.disconnect();
    await database.close();
  }
});
