export { createKafka, FETCH_BATCHING, parseBrokers } from './client';
export type { KafkaOptions } from './client';
export { ensureTopics, waitForTopics } from './topics-admin';
export type { EnsureTopicsOptions, TopicReport } from './topics-admin';
export { publishEvents, toMessage, eventHeaders } from './publish';
export { kafkaReachable, watchJoined } from './health';
export { sendTraced } from './traced-send';
export { HeraldPartitioner, murmur2, partitionOfKey } from './partitioner';
export type { TracedBatch } from './traced-send';
