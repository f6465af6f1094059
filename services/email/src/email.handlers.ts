import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AlertRaised, EmailSentV2, FollowUpRequestedV2, newEvent, followUpOf, UserCreatedV2 } from '@herald/contracts';
import { handlerOptions, LiveUsers, type HandlerContext } from '@herald/consumer';
import { alertEmail, followUpEmail, welcomeEmail, type RenderedEmail } from './templates';
import { Mailer, messageIdFor } from './mailer';

export const MAILER = Symbol('MAILER');
export const EMAIL_SETTINGS = Symbol('EMAIL_SETTINGS');

export interface EmailSettings {
  from: string;
  adminEmail: string;
}

type Template = 'welcome' | 'follow-up' | 'alert';

/**
 * The email service's handlers: one email per event, then EmailSent. A user's address and name are
 * read from `users` when their event is handled; a user deleted by then is owed nothing.
 */
@Controller()
export class EmailHandlers {
  constructor(
    @Inject(MAILER) private readonly mailer: Mailer,
    @Inject(EMAIL_SETTINGS) private readonly settings: EmailSettings,
    @Inject(LiveUsers) private readonly users: LiveUsers,
  ) {}

  @EventPattern(
    UserCreatedV2.name,
    handlerOptions(UserCreatedV2, { describe: (e) => ({ subjectId: e.data.userId, notification: 'welcome' }) }),
  )
  async welcome(@Payload() ctx: HandlerContext<typeof UserCreatedV2>): Promise<void> {
    await this.deliverToUser(ctx, 'welcome', welcomeEmail);
  }

  @EventPattern(
    FollowUpRequestedV2.name,
    handlerOptions(FollowUpRequestedV2, { describe: (e) => ({ subjectId: e.data.userId, notification: 'follow-up' }) }),
  )
  async followUp(@Payload() ctx: HandlerContext<typeof FollowUpRequestedV2>): Promise<void> {
    await this.deliverToUser(ctx, 'follow-up', followUpEmail);
  }

  @EventPattern(
    AlertRaised.name,
    handlerOptions(AlertRaised, { describe: (e) => ({ subjectId: e.data.alertId, notification: 'alert' }) }),
  )
  async alert(@Payload() ctx: HandlerContext<typeof AlertRaised>): Promise<void> {
    const { data } = ctx.event;
    await this.deliver(ctx, data.alertId, this.settings.adminEmail, 'alert', alertEmail(data.severity, data.message));
  }

  /** Delivers to the live user the event names; a user deleted by then is owed nothing. */
  private async deliverToUser(
    ctx: HandlerContext<typeof UserCreatedV2 | typeof FollowUpRequestedV2>,
    template: Template,
    render: (fullName: string) => RenderedEmail,
  ): Promise<void> {
    const { userId } = ctx.event.data;
    const user = await this.users.forEvent(ctx, userId);
    if (user) await this.deliver(ctx, userId, user.email, template, render(user.fullName));
  }

  private async deliver(
    ctx: HandlerContext<typeof UserCreatedV2 | typeof FollowUpRequestedV2 | typeof AlertRaised>,
    subjectId: string,
    to: string,
    template: Template,
    rendered: RenderedEmail,
  ): Promise<void> {
    const messageId = messageIdFor(ctx.event.id, this.settings.from);
    await this.mailer.send({ ...rendered, to, messageId }, ctx.signal);
    const sent = newEvent(EmailSentV2, { subjectId, template, messageId, sentAt: new Date().toISOString() }, followUpOf(ctx.event));
    // The timeline records the delivery from this event: no status of its own.
    ctx.emit(EmailSentV2, subjectId, sent);
    ctx.logger.info({ template, messageId }, 'email sent');
  }
}
