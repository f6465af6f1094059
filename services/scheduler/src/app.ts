import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { SchedulerModule } from './scheduler.module';

/** Builds the scheduler service's Nest application without connecting it to anything. */
export async function createApp(): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(SchedulerModule, { logger: ['error', 'warn'] });
}
