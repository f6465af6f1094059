import { telemetry } from './instrumentation';
import { DeadLetters } from '@herald/consumer';
import { createKafka } from '@herald/kafka';
import { openDatabase } from '@herald/db';
import { createLogger, exitOnStartupError, onShutdown } from '@herald/service-kit';
import { ApiKeyStore } from './api-keys';
import { buildApp } from './app';
import { readEnv } from './env';
import { outboxBacklogGauge } from './metrics';
import { OutboxRelay } from './outbox.relay';
import { TimelineProjector } from './timeline.projector';

async function main(): Promise<void> {
  const env = readEnv();
  const logger = createLogger('api', env.LOG_LEVEL, {}, env.LOG_FORMAT);
  const database = openDatabase(env.DATABASE_URL, { application_name: 'herald-api', connectionTimeoutMillis: 2000 });
  const kafka = createKafka({
    clientId: 'herald-api',
    ...env.KAFKA_CONNECTION,
    log: (level, message, extra) => logger[level](extra, message),
    // Bounded, so that while Kafka is down the relay and the projector back off on their own
    // (at most 5 s apart) instead of kafkajs retrying for minutes inside one call.
    overrides: { retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 5 } },
  });
  const kafkaAdmin = kafka.admin();
  // Kafka being down must not stop the api from serving: connect in the background.
  kafkaAdmin.connect().catch((error: unknown) => logger.warn({ err: error }, 'kafka not reachable yet'));

  const relay = new OutboxRelay({
    database,
    kafka,
    logger,
    batchSize: env.OUTBOX_BATCH_SIZE,
    pollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS,
    lingerMs: env.OUTBOX_LINGER_MS,
  });
  outboxBacklogGauge(() => relay.backlog());
  const projector = new TimelineProjector({
    kafka,
    db: database.db,
    logger,
    groupId: env.CONSUMER_GROUP,
    start: env.CONSUMER_START,
    fetchWaitMs: env.TIMELINE_FETCH_WAIT_MS,
  });
  const app = await buildApp({
    logger,
    database,
    kafkaAdmin,
    adminToken: env.ADMIN_TOKEN,
    keys: new ApiKeyStore(database.db, env.API_KEY_CACHE_MS),
    signupOpen: env.SIGNUP_OPEN,
    signupRateLimits: { perKey: env.SIGNUP_RATE_LIMIT_PER_KEY, perAddress: env.SIGNUP_RATE_LIMIT_PER_ADDRESS },
    outboxWritten: () => relay.wake(),
    outboxBacklog: () => relay.backlog(),
    timelineJoined: () => projector.isJoined(),
    deadLetters: new DeadLetters(kafka, database),
  });
  relay.start();
  projector.start();
  await app.listen({ host: env.HOST, port: env.PORT });

  onShutdown(logger, async () => {
    await app.close(); // no new requests; in-flight ones finish
    await projector.stop();
    await relay.stop(); // the round in flight publishes and commits
    await kafkaAdmin.disconnect();
    await database.close();
    await telemetry.shutdown(); // the spans still buffered
  });
}

main().catch((error: unknown) => exitOnStartupError('api', error));
