// `npm run topics`: creates every topic of packages/contracts on the cluster in KAFKA_BROKERS.
import { Type } from '@sinclair/typebox';
import { loadEnv, runCli } from '@herald/config';
import { topics } from '@herald/contracts';
import { createKafka } from './client';
import { KafkaEnvSchema, kafkaConnection } from './kafka-env';
import { ensureTopics } from './topics-admin';

async function main(): Promise<number> {
  const env = loadEnv(
    Type.Object({
      ...KafkaEnvSchema,
      KAFKA_REPLICATION_FACTOR: Type.Integer({ default: -1 }),
    }),
  );
  const admin = createKafka({ clientId: 'herald-topics', ...kafkaConnection(env) }).admin();
  await admin.connect();
  try {
    const reports = await ensureTopics(admin, topics, { replicationFactor: env.KAFKA_REPLICATION_FACTOR });
    for (const r of reports) console.log(`${r.action.padEnd(16)} ${r.name} (${r.partitions} partitions)`);
    return 0;
  } finally {
    await admin.disconnect();
  }
}

runCli('create-topics', 'usage: npm run topics', main);
