import { createKafka, kafkaReachable, parseBrokers } from '@herald/kafka';
import { databaseReachable, openDatabase } from '@herald/db';
import { adminPart, createLogger, exitOnStartupError, serveServiceProcess } from '@herald/service-kit';
import { createApp } from './app';
import { readEnv } from './env';

async function main(): Promise<void> {
  const env = readEnv();
  const logger = createLogger('email', env.LOG_LEVEL);
  const database = openDatabase(env.DATABASE_URL, { application_name: 'herald-email' });
  const kafka = createKafka({
    clientId: 'herald-email',
    brokers: parseBrokers(env.KAFKA_BROKERS),
    log: (level, message, extra) => logger[level](extra, message),
  });
  const admin = kafka.admin();
  admin.connect().catch((error: unknown) => logger.warn({ err: error }, 'kafka not reachable yet'));
  const app = await createApp();
  await serveServiceProcess({
    name: 'email',
    host: env.HOST,
    port: env.PORT,
    logger,
    checks: [
      { name: 'postgres', check: () => databaseReachable(database.pool) },
      { name: 'kafka', check: () => kafkaReachable(admin) },
    ],
    parts: [app, adminPart(admin), database],
  });
}

main().catch((error: unknown) => exitOnStartupError('email', error));
