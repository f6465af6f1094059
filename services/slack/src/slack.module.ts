import { Module, type DynamicModule } from '@nestjs/common';
import { LiveUsers } from '@herald/consumer';
import { SLACK_CLIENT, SlackHandlers, WEBHOOKS, type Webhooks } from './slack.handlers';
import type { SlackClient } from './slack.client';

/** The Slack service's Nest module: its handlers and what they need. */
@Module({})
export class SlackModule {
  static register(deps: { slack: SlackClient; webhooks: Webhooks; users: LiveUsers }): DynamicModule {
    return {
      module: SlackModule,
      controllers: [SlackHandlers],
      providers: [
        { provide: SLACK_CLIENT, useValue: deps.slack },
        { provide: WEBHOOKS, useValue: deps.webhooks },
        { provide: LiveUsers, useValue: deps.users },
      ],
    };
  }
}
