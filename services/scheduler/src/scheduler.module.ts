import { Module, type DynamicModule } from '@nestjs/common';
import { FOLLOW_UP_DEPS, SchedulerHandlers } from './scheduler.handlers';
import type { FollowUpDeps } from './follow-ups';

/** The scheduler service's Nest module: its handlers and what they need. */
@Module({})
export class SchedulerModule {
  static register(deps: FollowUpDeps): DynamicModule {
    return {
      module: SchedulerModule,
      controllers: [SchedulerHandlers],
      providers: [{ provide: FOLLOW_UP_DEPS, useValue: deps }],
    };
  }
}
