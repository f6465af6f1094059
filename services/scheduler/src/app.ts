import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import {
  DEFAULT_RETRY_POLICY,
  HeraldKafkaTransport,
  PassThroughExceptionFilter,
  resolvePolicy,
  type HeraldTransportOptions,
} from '@herald/consumer';
import { SchedulerModule } from './scheduler.module';
import type { FollowUpDeps } from './follow-ups';

/** The scheduler's handlers only touch Postgres: retry briefly, give up within the hour. */
export const SCHEDULER_RETRY_POLICY = resolvePolicy(DEFAULT_RETRY_POLICY, {
  maximumAttempts: 8,
  initialInterval: 'PT1S',
  backoffCoefficient: 2,
  maximumInterval: 'PT1M',
  startToCloseTimeout: 'PT30S',
  scheduleToCloseTimeout: 'PT1H',
});

export interface SchedulerAppDependencies {
  followUps: FollowUpDeps;
  transport: Omit<HeraldTransportOptions, 'channel' | 'policy'>;
}

/** Builds the scheduler's consumer (handlers on Herald's Kafka transport) without starting it. */
export async function createApp(
  deps: SchedulerAppDependencies,
): Promise<{ app: INestMicroservice; transport: HeraldKafkaTransport }> {
  const strategy = new HeraldKafkaTransport({ ...deps.transport, channel: 'scheduler', policy: SCHEDULER_RETRY_POLICY });
  const app = await NestFactory.createMicroservice(SchedulerModule.register(deps.followUps), {
    strategy,
    logger: ['error', 'warn'],
  });
  app.useGlobalFilters(new PassThroughExceptionFilter());
  return { app, transport: strategy };
}
