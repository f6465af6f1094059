import { Module, type DynamicModule } from '@nestjs/common';
import { LiveUsers } from '@herald/consumer';
import { EMAIL_SETTINGS, EmailHandlers, MAILER, type EmailSettings } from './email.handlers';
import type { Mailer } from './mailer';

/** The email service's Nest module: its handlers and what they need. */
@Module({})
export class EmailModule {
  static register(deps: { mailer: Mailer; settings: EmailSettings; users: LiveUsers }): DynamicModule {
    return {
      module: EmailModule,
      controllers: [EmailHandlers],
      providers: [
        { provide: MAILER, useValue: deps.mailer },
        { provide: EMAIL_SETTINGS, useValue: deps.settings },
        { provide: LiveUsers, useValue: deps.users },
      ],
    };
  }
}
