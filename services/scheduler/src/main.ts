import { telemetry } from './instrumentation';
import { parsePolicyInput } from '@herald/consumer';
import { createKafka, kafkaReachable } from '@herald/kafka';
import { databaseReachable, openDatabase } from '@herald/db';
import { adminPart, createLogger, exitOnStartupError, serveServiceProcess } from '@herald/service-kit';
import { createApp } from './app';
import { readEnv } from './env';
import { pendingGauge } from './metrics';
import { HERALD_TOPICS, SchedulerRuntime } from './scheduler.runtime';

async function main(): Promise<void> {
  const env = readEnv();
  const policyOverride = parsePolicyInput(env.RETRY_POLICY);
  const logger = createLogger('scheduler', env.LOG_LEVEL, {}, env.LOG_FORMAT);
  const database = openDatabase(env.DATABASE_URL, { application_name: 'herald-scheduler' });
  const kafka = createKafka({
    clientId: 'herald-scheduler',
    ...env.KAFKA_CONNECTION,
    log: (level, message, extra) => logger[level](extra, message),
  });
  const admin = kafka.admin();
  admin.connect().catch((error: unknown) => logger.warn({ err: error }, 'kafka not reachable yet'));
  // The dispatcher and the recurring jobs: they run in every replica, SKIP LOCKED shares the rows.
  const runtime = new SchedulerRuntime({ env, database, kafka, logger });
  await runtime.start();
  pendingGauge(() => runtime.store.pendingCount(HERALD_TOPICS));
  const { app, transport } = await createApp({
    followUps: { store: runtime.store, followUpDelayMs: env.FOLLOW_UP_DELAY_MS, scheduleRequestTopics: env.SCHEDULE_REQUEST_TOPIC_NAMES },
    transport: { kafka, groupId: env.CONSUMER_GROUP, database, logger, policyOverride, start: env.CONSUMER_START, fetchPaceMs: env.INTAKE_FETCH_PACE_MS },
  });
  await app.listen();
  logger.info({ group: env.CONSUMER_GROUP, followUpDelay: env.FOLLOW_UP_DELAY }, 'consuming');
  await serveServiceProcess({
    name: 'scheduler',
    host: env.HOST,
    port: env.PORT,
    logger,
    checks: [
      { name: 'postgres', check: () => databaseReachable(database.pool) },
      { name: 'kafka', check: () => kafkaReachable(admin) },
      { name: 'consumer', check: async () => transport.isJoined() },
    ],
    // The consumer stops first (no new schedules), then the dispatcher, then the connections.
    parts: [app, runtime, adminPart(admin), database, { close: () => telemetry.shutdown() }],
  });
}

main().catch((error: unknown) => exitOnStartupError('scheduler', error));
