import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { EmailModule } from './email.module';

/** Builds the email service's Nest application without connecting it to anything. */
export async function createApp(): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(EmailModule, { logger: ['error', 'warn'] });
}
