import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { DEFAULT_RETRY_POLICY, HeraldKafkaTransport, LiveUsers, PassThroughExceptionFilter, resolvePolicy, type HeraldTransportOptions } from '@herald/consumer';
import { SlackModule } from './slack.module';
import type { SlackClient } from './slack.client';
import type { Webhooks } from './slack.handlers';

/**
 * Slack's default retry policy: eight attempts over about two minutes ride out rate limits and a
 * short outage; a 400/403/404/410 never retries.
 */
export const SLACK_RETRY_POLICY = resolvePolicy(DEFAULT_RETRY_POLICY, {
  maximumAttempts: 8,
  initialInterval: 'PT1S',
  backoffCoefficient: 2,
  maximumInterval: 'PT2M',
  startToCloseTimeout: 'PT15S',
  scheduleToCloseTimeout: 'PT6H',
});

export interface SlackAppDependencies {
  slack: SlackClient;
  webhooks: Webhooks;
  transport: Omit<HeraldTransportOptions, 'channel' | 'policy'>;
}

/** Builds the Slack service (handlers on Herald's Kafka transport) without starting it. */
export async function createApp(deps: SlackAppDependencies): Promise<{ app: INestMicroservice; transport: HeraldKafkaTransport }> {
  const strategy = new HeraldKafkaTransport({ ...deps.transport, channel: 'slack', policy: SLACK_RETRY_POLICY });
  // The users are read through the transport's own pool.
  const users = new LiveUsers(deps.transport.database);
  const app = await NestFactory.createMicroservice(SlackModule.register({ ...deps, users }), { strategy, logger: ['error', 'warn'] });
  app.useGlobalFilters(new PassThroughExceptionFilter());
  return { app, transport: strategy };
}
