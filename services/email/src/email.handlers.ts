import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AlertRaised, EmailSent, FollowUpRequested, newEvent, followUpOf, UserCreated } from '@herald/contracts';
import { handlerOptions, type HandlerContext } from '@herald/consumer';
import { alertEmail, followUpEmail, welcomeEmail, type RenderedEmail } from './templates';
import { Mailer, messageIdFor } from './mailer';

export const MAILER = Symbol('MAILER');
export const EMAIL_SETTINGS = Symbol('EMAIL_SETTINGS');

export interface EmailSettings {
  from: string;
  adminEmail: string;
}

type Template = 'welcome' | 'follow-up' | 'alert';

/** The email service's handlers: one email per event, then EmailSent. */
@Controller()
export class EmailHandlers {
  constructor(
    @Inject(MAILER) private readonly mailer: Mailer,
    @Inject(EMAIL_SETTINGS) private readonly settings: EmailSettings,
  ) {}

  @EventPattern(
    UserCreated.name,
    handlerOptions(UserCreated, { describe: (e) => ({ subjectId: e.data.userId, notification: 'welcome' }) }),
  )
  async welcome(@Payload() ctx: HandlerContext<typeof UserCreated>): Promise<void> {
    const { data } = ctx.event;
    await this.deliver(ctx, data.userId, data.email, 'welcome', welcomeEmail(data.fullName));
  }

  @EventPattern(
    FollowUpRequested.name,
    handlerOptions(FollowUpRequested, { describe: (e) => ({ subjectId: e.data.userId, notification: 'follow-up' }) }),
  )
  async followUp(@Payload() ctx: HandlerContext<typeof FollowUpRequested>): Promise<void> {
    const { data } = ctx.event;
    await this.deliver(ctx, data.userId, data.email, 'follow-up', followUpEmail(data.fullName));
  }

  @EventPattern(
    AlertRaised.name,
    handlerOptions(AlertRaised, { describe: (e) => ({ subjectId: e.data.alertId, notification: 'alert' }) }),
  )
  async alert(@Payload() ctx: HandlerContext<typeof AlertRaised>): Promise<void> {
    const { data } = ctx.event;
    await this.deliver(ctx, data.alertId, this.settings.adminEmail, 'alert', alertEmail(data.severity, data.message));
  }

  private async deliver(
    ctx: HandlerContext<typeof UserCreated | typeof FollowUpRequested | typeof AlertRaised>,
    subjectId: string,
    to: string,
    template: Template,
    rendered: RenderedEmail,
  ): Promise<void> {
    const messageId = messageIdFor(ctx.event.id, this.settings.from);
    await this.mailer.send({ ...rendered, to, messageId }, ctx.signal);
    const sent = newEvent(
      EmailSent,
      { subjectId, template, recipient: to, messageId, sentAt: new Date().toISOString() },
      followUpOf(ctx.event),
    );
    // The timeline records the delivery from this event: no status of its own.
    ctx.emit(EmailSent, subjectId, sent);
    ctx.logger.info({ template, messageId }, 'email sent');
  }
}
