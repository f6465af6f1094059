import { Module } from '@nestjs/common';

/** The email service's Nest module: its handlers and what they need. */
@Module({})
export class EmailModule {}
