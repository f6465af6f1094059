import type { Admin, Consumer } from 'kafkajs';

/**
 * True when the cluster answers metadata requests. Bounded by the admin's request timeout; a
 * readiness probe calls it with its own deadline too.
 */
export async function kafkaReachable(admin: Admin, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      admin.describeCluster(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Watches a consumer's group membership: the returned function answers true after the first
 * fetch that follows a join (by then the group's starting offsets are resolved, so an event
 * published afterwards is seen even when a new group starts at 'latest'), and false again after
 * a crash, a disconnect or a stop until the next join and fetch.
 */
export function watchJoined(consumer: Consumer): () => boolean {
  let joinedAt = 0;
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt = Date.now();
  });
  consumer.on(consumer.events.FETCH, () => {
    if (joinedAt > 0) joined = true;
  });
  for (const event of [consumer.events.CRASH, consumer.events.DISCONNECT, consumer.events.STOP]) {
    consumer.on(event, () => {
      joined = false;
      joinedAt = 0;
    });
  }
  return () => joined;
}
