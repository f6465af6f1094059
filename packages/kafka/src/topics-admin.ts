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
    await admin.createTopics({ topics: missing, waitForLeaders: true });
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
