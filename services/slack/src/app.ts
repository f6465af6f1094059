import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { SlackModule } from './slack.module';

/** Builds the slack service's Nest application without connecting it to anything. */
export async function createApp(): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(SlackModule, { logger: ['error', 'warn'] });
}
