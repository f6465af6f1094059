import { createKafka, parseBrokers } from '@herald/kafka';
import { openDatabase } from '@herald/db';
import { createLogger, exitOnStartupError, onShutdown } from '@herald/service-kit';
import { buildApp } from './app';
import { readEnv } from './env';

async function main(): Promise<void> {
  const env = readEnv();
  const logger = createLogger('api', env.LOG_LEVEL);
  const database = openDatabase(env.DATABASE_URL, { application_name: 'herald-api' });
  const kafka = createKafka({
    clientId: 'herald-api',
    brokers: parseBrokers(env.KAFKA_BROKERS),
    log: (level, message, extra) => logger[level](extra, message),
  });
  const kafkaAdmin = kafka.admin();
  // Kafka being down must not stop the api from serving: connect in the background.
  kafkaAdmin.connect().catch((error: unknown) => logger.warn({ err: error }, 'kafka not reachable yet'));

  const app = await buildApp({ logger, database, kafkaAdmin });
  await app.listen({ host: env.HOST, port: env.PORT });

  onShutdown(logger, async () => {
    await app.close();
    await kafkaAdmin.disconnect();
    await database.close();
  });
}

main().catch((error: unknown) => exitOnStartupError('api', error));
