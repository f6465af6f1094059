import { KafkaJSNonRetriableError, type Admin, type Consumer, type EachBatchPayload, type Producer } from 'kafkajs';
import pino from 'pino';
import { createKafka } from '@herald/kafka';
import { infrastructure, uniqueName, waitFor } from '@herald/testing';
import { GroupConsumer } from './group-consumer';

// Integration: a consumer that kafkajs gives up on (a crash it will not restart, as after a
// coordinator gone longer than its retries) is replaced, against the real Kafka, on a topic of
// the test's own.
const kafka = createKafka({ clientId: 'group-consumer-test', brokers: infrastructure().kafkaBrokers, log: () => undefined });
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  admin = kafka.admin();
  producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
});

afterAll(async () => {
  await Promise.all([admin.disconnect(), producer.disconnect()]);
});

async function ownTopic(): Promise<string> {
  const topic = uniqueName('group-consumer');
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
  return topic;
}

function groupConsumer(topic: string, stopping: AbortSignal, eachBatch: (payload: EachBatchPayload) => Promise<void>): GroupConsumer {
  return new GroupConsumer({
    kafka,
    groupId: uniqueName('group-consumer'),
    logger: pino({ level: 'silent' }),
    topics: [topic],
    partitionsConsumedConcurrently: 1,
    fetchPaceMs: 50,
    stopping,
    eachBatch,
    fetchStarted: () => undefined,
    fetchEnded: () => undefined,
    joined: () => undefined,
    beforeRejoin: async () => undefined,
  });
}

describe('GroupConsumer', () => {
  it('starts a new consumer when kafkajs will not restart a crashed one, and it reads on from the last commit', async () => {
    const topic = await ownTopic();
    const stopping = new AbortController();
    const seen: string[] = [];
    let crashes = 0;
    const group = groupConsumer(topic, stopping.signal, async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      for (const message of batch.messages) {
        const value = String(message.value);
        if (value === 'second' && crashes === 0) {
          crashes += 1;
          throw new KafkaJSNonRetriableError('the coordinator is gone for good');
        }
        seen.push(value);
        resolveOffset(message.offset);
        await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: 0, offset: String(Number(message.offset) + 1) }] }] });
      }
    });
    try {
      await group.start();
      const first: Consumer | undefined = group.current;
      await producer.send({ topic, acks: -1, messages: [{ value: 'first' }] });
      await waitFor(() => seen.includes('first') || undefined, { timeoutMs: 20_000, description: 'the first message' });
      await producer.send({ topic, acks: -1, messages: [{ value: 'second' }, { value: 'third' }] });
      await waitFor(() => seen.includes('third') || undefined, { timeoutMs: 30_000, description: 'a new consumer to read on' });
      expect(crashes).toBe(1);
      expect(group.current).not.toBe(first);
      // The crashed message comes again from the committed offset; what was committed does not.
      expect(seen).toEqual(['first', 'second', 'third']);
    } finally {
      stopping.abort();
      await group.stop();
    }
  });

  it('starts no new consumer once a stop began', async () => {
    const topic = await ownTopic();
    const stopping = new AbortController();
    let batches = 0;
    const group = groupConsumer(topic, stopping.signal, async () => {
      batches += 1;
      stopping.abort();
      throw new KafkaJSNonRetriableError('crashed while stopping');
    });
    try {
      await group.start();
      const crashed = group.current;
      await producer.send({ topic, acks: -1, messages: [{ value: 'only' }] });
      await waitFor(() => batches > 0 || undefined, { timeoutMs: 20_000, description: 'the batch' });
      // startAgain would pause a second, then replace the consumer: give it three.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(group.current).toBe(crashed);
      expect(batches).toBe(1);
    } finally {
      await group.stop();
    }
  });
});
