import { telemetry } from './instrumentation';
import { parsePolicyInput } from '@herald/consumer';
import { createKafka, kafkaReachable } from '@herald/kafka';
import { databaseReachable, openDatabase } from '@herald/db';
import { adminPart, createLogger, exitOnStartupError, serveServiceProcess } from '@herald/service-kit';
import { createApp } from './app';
import { readEnv } from './env';
import { Mailer } from './mailer';

async function main(): Promise<void> {
  const env = readEnv();
  const policyOverride = parsePolicyInput(env.RETRY_POLICY);
  const logger = createLogger('email', env.LOG_LEVEL, {}, env.LOG_FORMAT);
  const database = openDatabase(env.DATABASE_URL, { application_name: 'herald-email' });
  const kafka = createKafka({
    clientId: 'herald-email',
    ...env.KAFKA_CONNECTION,
    log: (level, message, extra) => logger[level](extra, message),
  });
  const admin = kafka.admin();
  admin.connect().catch((error: unknown) => logger.warn({ err: error }, 'kafka not reachable yet'));
  const mailer = new Mailer(env.SMTP_URL, env.MAIL_FROM, env.SMTP_POOL_SIZE);
  const { app, transport } = await createApp({
    mailer,
    settings: { from: env.MAIL_FROM, adminEmail: env.ADMIN_EMAIL },
    transport: { kafka, groupId: env.CONSUMER_GROUP, database, logger, policyOverride, start: env.CONSUMER_START },
  });
  await app.listen();
  logger.info({ group: env.CONSUMER_GROUP }, 'consuming');
  await serveServiceProcess({
    name: 'email',
    host: env.HOST,
    port: env.PORT,
    logger,
    checks: [
      { name: 'postgres', check: () => databaseReachable(database.pool) },
      { name: 'kafka', check: () => kafkaReachable(admin) },
      { name: 'consumer', check: async () => transport.isJoined() },
    ],
    parts: [app, adminPart(admin), database, { close: async () => mailer.close() }, { close: () => telemetry.shutdown() }],
  });
}

main().catch((error: unknown) => exitOnStartupError('email', error));
