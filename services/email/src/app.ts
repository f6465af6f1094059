import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { DEFAULT_RETRY_POLICY, HeraldKafkaTransport, LiveUsers, PassThroughExceptionFilter, resolvePolicy, type HeraldTransportOptions } from '@herald/consumer';
import { EmailModule } from './email.module';
import type { EmailSettings } from './email.handlers';
import type { Mailer } from './mailer';

/**
 * Email's default retry policy: eight attempts over about four minutes ride out an SMTP server's
 * restart or a short outage; permanent 5xx never retry.
 */
export const EMAIL_RETRY_POLICY = resolvePolicy(DEFAULT_RETRY_POLICY, {
  maximumAttempts: 8,
  initialInterval: 'PT2S',
  backoffCoefficient: 2,
  maximumInterval: 'PT5M',
  startToCloseTimeout: 'PT60S',
  scheduleToCloseTimeout: 'PT24H',
  nonRetryableErrorTypes: ['SMTP_PERMANENT', 'SMTP_RECIPIENT_REJECTED'],
});

export interface EmailAppDependencies {
  mailer: Mailer;
  settings: EmailSettings;
  transport: Omit<HeraldTransportOptions, 'channel' | 'policy'>;
}

/** Builds the email service (handlers on Herald's Kafka transport) without starting it. */
export async function createApp(deps: EmailAppDependencies): Promise<{ app: INestMicroservice; transport: HeraldKafkaTransport }> {
  const strategy = new HeraldKafkaTransport({ ...deps.transport, channel: 'email', policy: EMAIL_RETRY_POLICY });
  // The users are read through the transport's own pool.
  const users = new LiveUsers(deps.transport.database);
  const app = await NestFactory.createMicroservice(EmailModule.register({ ...deps, users }), { strategy, logger: ['error', 'warn'] });
  app.useGlobalFilters(new PassThroughExceptionFilter());
  return { app, transport: strategy };
}
