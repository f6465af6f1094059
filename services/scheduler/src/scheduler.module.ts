import { Module } from '@nestjs/common';

/** The scheduler service's Nest module: its handlers and what they need. */
@Module({})
export class SchedulerModule {}
