import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AlertRaised, followUpOf, newEvent, SlackMessageSent, UserCreatedV2 } from '@herald/contracts';
import { handlerOptions, LiveUsers, type HandlerContext } from '@herald/consumer';
import { alertMessage, signupMessage } from './slack-text';
import type { SlackClient } from './slack.client';

export const SLACK_CLIENT = Symbol('SLACK_CLIENT');
export const WEBHOOKS = Symbol('WEBHOOKS');

export interface Webhooks {
  signups: string;
  alerts: string;
}

/**
 * The Slack service's handlers: one webhook post per event, then SlackMessageSent. A signup's name
 * is read from `users` when its event is handled; a user deleted by then is announced to no one.
 */
@Controller()
export class SlackHandlers {
  constructor(
    @Inject(SLACK_CLIENT) private readonly slack: SlackClient,
    @Inject(WEBHOOKS) private readonly webhooks: Webhooks,
    @Inject(LiveUsers) private readonly users: LiveUsers,
  ) {}

  @EventPattern(
    UserCreatedV2.name,
    handlerOptions(UserCreatedV2, { describe: (e) => ({ subjectId: e.data.userId, notification: 'signup-announcement' }) }),
  )
  async signup(@Payload() ctx: HandlerContext<typeof UserCreatedV2>): Promise<void> {
    const { userId } = ctx.event.data;
    const user = await this.users.forEvent(ctx, userId);
    if (!user) return;
    await this.slack.post(this.webhooks.signups, signupMessage(user), ctx.signal);
    this.sent(ctx, userId, 'signups');
  }

  @EventPattern(
    AlertRaised.name,
    handlerOptions(AlertRaised, { describe: (e) => ({ subjectId: e.data.alertId, notification: 'alert' }) }),
  )
  async alert(@Payload() ctx: HandlerContext<typeof AlertRaised>): Promise<void> {
    await this.slack.post(this.webhooks.alerts, alertMessage(ctx.event.data), ctx.signal);
    this.sent(ctx, ctx.event.data.alertId, 'alerts');
  }

  /** The timeline records the delivery from the SlackMessageSent event: no status of its own. */
  private sent(ctx: HandlerContext<typeof UserCreatedV2 | typeof AlertRaised>, subjectId: string, channel: 'signups' | 'alerts'): void {
    ctx.emit(SlackMessageSent, subjectId, newEvent(SlackMessageSent, { subjectId, channel, sentAt: new Date().toISOString() }, followUpOf(ctx.event)));
    ctx.logger.info({ channel }, 'slack message sent');
  }
}
