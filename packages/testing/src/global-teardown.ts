import { Kafka, logLevel } from 'kafkajs';
import { infrastructure } from './infrastructure';

/**
 * A topic of a consumer group that a test made with `uniqueName()`:
 * `<prefix>-<time>-<8 hex>[-<suffix>].<topic>.retry.<tier>`, `.redrive` or `.dlq`. The stack's own
 * groups (`herald-email`, ...) never match.
 */
export const TEST_GROUP_TOPIC = /^[a-z0-9-]+-[0-9a-z]{8,9}-[0-9a-f]{8}(-[a-z0-9-]+)?\..+\.(retry\.[0-9a-z]+|redrive|dlq)$/;

/**
 * Jest global teardown: deletes the retry, redrive and dead-letter topics the tests' consumer
 * groups created, so that a dev broker does not pile up thousands of them run after run (Kafka
 * then takes minutes to start). A failure is reported and does not fail the run.
 */
export default async function globalTeardown(): Promise<void> {
  const admin = new Kafka({ clientId: 'herald-test-teardown', brokers: infrastructure().kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const names = (await admin.listTopics()).filter((name) => TEST_GROUP_TOPIC.test(name));
    for (let i = 0; i < names.length; i += 100) {
      await admin.deleteTopics({ topics: names.slice(i, i + 100), timeout: 30_000 });
    }
  } catch (error) {
    process.stderr.write(`test topics not deleted: ${error instanceof Error ? error.message : String(error)}\n`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
