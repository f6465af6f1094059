import type { Admin, ITopicConfig } from 'kafkajs';
import type { Topic } from '@herald/contracts';

export interface EnsureTopicsOptions {
  /** Replication factor for new topics; -1 lets the broker decide (its default.replication.factor). */
  replicationFactor?: number;
}

/** What ensureTopics did to each topic. */
export interface TopicReport {
  name: string;
  partitions: number;
  action: 'created' | 'exists' | 'partitions-added';
}

/**
 * Creates the topics that do not exist yet, with their partition counts, and adds partitions to
 * those that have fewer than the contract says (Kafka cannot remove partitions). Herald never
 * relies on the broker creating topics on first use.
 */
export async function ensureTopics(
  admin: Admin,
  topics: readonly Pick<Topic, 'name' | 'partitions'>[],
  options: EnsureTopicsOptions = {},
): Promise<TopicReport[]> {
  const existing = new Set(await admin.listTopics());
  const missing: ITopicConfig[] = topics
    .filter((t) => !existing.has(t.name))
    .map((t) => ({
      topic: t.name,
      numPartitions: t.partitions,
      replicationFactor: options.replicationFactor ?? -1,
    }));
  if (missing.length > 0) {
    // kafkajs' own waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which a broker answers
    // for a moment after creation; waitForTopics tolerates it.
    await admin.createTopics({ topics: missing, waitForLeaders: false });
    await waitForTopics(admin, missing.map((t) => t.topic));
  }
  const reports: TopicReport[] = [];
  const present = topics.filter((t) => existing.has(t.name));
  const metadata =
    present.length > 0 ? await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) }) : { topics: [] };
  const grow: { topic: string; count: number }[] = [];
  for (const topic of topics) {
    if (!existing.has(topic.name)) {
      reports.push({ name: topic.name, partitions: topic.partitions, action: 'created' });
      continue;
    }
    const found = metadata.topics.find((t) => t.name === topic.name);
    const count = found?.partitions.length ?? 0;
    if (count < topic.partitions) {
      grow.push({ topic: topic.name, count: topic.partitions });
      reports.push({ name: topic.name, partitions: topic.partitions, action: 'partitions-added' });
    } else {
      reports.push({ name: topic.name, partitions: count, action: 'exists' });
    }
  }
  if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow });
  return reports;
}

/**
 * Waits until every topic's metadata lists all its partitions with a leader: right after
 * creation a broker may still answer UNKNOWN_TOPIC_OR_PARTITION to a subscribing consumer.
 */
export async function waitForTopics(admin: Admin, names: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [...names] });
      const ready = names.every((name) => {
        const topic = topics.find((t) => t.name === name);
        return topic !== undefined && topic.partitions.length > 0 && topic.partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`topics not ready after ${timeoutMs} ms: ${names.join(', ')}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
