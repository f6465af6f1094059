import type { Consumer, ConsumerRunConfig, Kafka } from 'kafkajs';

/**
 * Subscribes `consumer` to `topic` and runs it from the topic's end as it is now: a test reads
 * what is published after this call, not the history other runs piled up on a shared topic (a
 * bench's drain writes 100,000 follow-ups to Herald's own topics). The ends are read before the
 * consumer joins, so nothing published once this resolves is missed.
 */
export async function runFromEnd(kafka: Kafka, consumer: Consumer, topic: string, config: ConsumerRunConfig): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: { partition: number; high: string }[];
  try {
    ends = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run(config);
  for (const { partition, high } of ends) consumer.seek({ topic, partition, offset: high });
}
