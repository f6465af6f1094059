import type { Admin } from 'kafkajs';

/** Where a consumer of a group starts reading a partition on which the group has no offset yet. */
export interface Seek {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * For 'latest': the end of every partition of `sources` on which the group has no committed
 * offset, read before the consumer joins. Seeking there (instead of kafkajs' own 'latest' lookup
 * at the first fetch) means an event published once the service reports ready is always seen.
 * Only source topics: a group's own retry and redrive topics hold nothing but its own messages,
 * which it must read from the start.
 */
export async function endsOfNewPartitions(admin: Admin, groupId: string, sources: string[]): Promise<Seek[]> {
  const committed = await admin.fetchOffsets({ groupId, topics: sources });
  const seeks: Seek[] = [];
  for (const { topic, partitions } of committed) {
    const fresh = new Set(partitions.filter((p) => p.offset === '-1').map((p) => p.partition));
    if (fresh.size === 0) continue;
    for (const end of await admin.fetchTopicOffsets(topic)) {
      if (fresh.has(end.partition)) seeks.push({ topic, partition: end.partition, offset: end.high });
    }
  }
  return seeks;
}
