import { Module } from '@nestjs/common';

/** The slack service's Nest module: its handlers and what they need. */
@Module({})
export class SlackModule {}
