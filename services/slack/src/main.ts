import { telemetry } from './instrumentation';
import { parsePolicyInput } from '@herald/consumer';
import { createKafka, kafkaReachable } from '@herald/kafka';
import { databaseReachable, openDatabase } from '@herald/db';
import { adminPart, createLogger, exitOnStartupError, serveServiceProcess } from '@herald/service-kit';
import { createApp } from './app';
import { readEnv } from './env';
import { SlackClient } from './slack.client';

async function main(): Promise<void> {
  const env = readEnv();
  const policyOverride = parsePolicyInput(env.RETRY_POLICY);
  const logger = createLogger('slack', env.LOG_LEVEL, {}, env.LOG_FORMAT);
  const database = openDatabase(env.DATABASE_URL, { application_name: 'herald-slack' });
  const kafka = createKafka({
    clientId: 'herald-slack',
    ...env.KAFKA_CONNECTION,
    log: (level, message, extra) => logger[level](extra, message),
  });
  const admin = kafka.admin();
  admin.connect().catch((error: unknown) => logger.warn({ err: error }, 'kafka not reachable yet'));
  const { app, transport } = await createApp({
    slack: new SlackClient(),
    webhooks: { signups: env.SLACK_SIGNUPS_WEBHOOK_URL, alerts: env.SLACK_ALERTS_WEBHOOK_URL },
    transport: { kafka, groupId: env.CONSUMER_GROUP, database, logger, policyOverride, start: env.CONSUMER_START, fetchPaceMs: env.FETCH_PACE_MS },
  });
  await app.listen();
  logger.info({ group: env.CONSUMER_GROUP }, 'consuming');
  await serveServiceProcess({
    name: 'slack',
    host: env.HOST,
    port: env.PORT,
    logger,
    checks: [
      { name: 'postgres', check: () => databaseReachable(database.pool) },
      { name: 'kafka', check: () => kafkaReachable(admin) },
      { name: 'consumer', check: async () => transport.isJoined() },
    ],
    parts: [app, adminPart(admin), database, { close: () => telemetry.shutdown() }],
  });
}

main().catch((error: unknown) => exitOnStartupError('slack', error));
