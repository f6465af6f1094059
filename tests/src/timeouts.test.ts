import net from 'node:net';
import { Partitioners } from 'kafkajs';
import { RetryHeaders, UserCreatedV2 } from '@herald/contracts';
import { DeadLetters } from '@herald/consumer';
import { openDatabase } from '@herald/db';
import { createKafka, publishEvents } from '@herald/kafka';
import { aSignup, freePort, infrastructure, startService, uniqueName, waitFor } from '@herald/testing';

// startToCloseTimeout: an SMTP server that accepts the connection and never says a word must not
// hold an attempt longer than the policy allows (nodemailer's own greeting timeout is 10 s).
it('aborts an attempt against an SMTP server that never answers, after startToCloseTimeout', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
  const group = uniqueName('timeout-email');
  const kafka = createKafka({ clientId: group, brokers: infrastructure().kafkaBrokers });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const database = openDatabase(infrastructure().databaseUrl, { max: 2 });
  const email = await startService('email', {
    CONSUMER_GROUP: group,
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    RETRY_POLICY: JSON.stringify({ maximumAttempts: 1, startToCloseTimeout: 'PT1S' }),
  });
  try {
    await producer.connect();
    const { userId, event } = await aSignup((query, values) => database.pool.query(query, values), { fullName: 'Slow Server' });
    const published = Date.now();
    await publishEvents(producer, UserCreatedV2, [{ key: userId, event }]);
    const letters = new DeadLetters(kafka, database);
    const letter = await waitFor(async () => {
      const found = await letters.list(`${group}.user.created.v2.dlq`).catch(() => []);
      return found.find((l) => l.key === userId);
    }, { timeoutMs: 30_000, intervalMs: 250, description: 'the timed-out attempt in the dead-letter topic' });
    expect(letter.error.type).toBe('START_TO_CLOSE_TIMEOUT');
    expect(letter.headers[RetryHeaders.attempt]).toBe('1');
    // Given up after about a second, not after nodemailer's 10 s greeting timeout.
    const attemptMs = Number(letter.headers[RetryHeaders.lastAttemptAt]) - Number(letter.headers[RetryHeaders.firstAttemptAt]);
    expect(attemptMs).toBeGreaterThanOrEqual(1000);
    expect(attemptMs).toBeLessThan(5000);
    expect(Date.now() - published).toBeLessThan(20_000);
    expect(sockets.size).toBeGreaterThan(0);
  } finally {
    await email.stop();
    await producer.disconnect();
    await database.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});
