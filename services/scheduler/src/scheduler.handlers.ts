import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { EmailSentV2, ScheduleCancelRequested, ScheduleRequested, UserDeleted } from '@herald/contracts';
import { handlerOptions, type HandlerContext } from '@herald/consumer';
import { inSpan, traceHeaders } from '@herald/telemetry';
import { hasFollowUp, onEmailSent, onUserDeleted, type FollowUpDeps } from './follow-ups';
import { onScheduleCancelRequested, onScheduleRequested } from './schedule-requests';

export const FOLLOW_UP_DEPS = Symbol('FOLLOW_UP_DEPS');

/**
 * The scheduler's handlers: a welcome email schedules its follow-up (Temporal's durable
 * `workflow.sleep`), a deleted user cancels theirs, and anyone may schedule or cancel a message.
 *
 * Scheduling happens in a `schedule` span whose context is stored with the row: the message
 * dispatched days later is its child, in the trace of the signup that asked for it.
 */
@Controller()
export class SchedulerHandlers {
  constructor(@Inject(FOLLOW_UP_DEPS) private readonly deps: FollowUpDeps) {}

  @EventPattern(
    EmailSentV2.name,
    handlerOptions(EmailSentV2, {
      // Only a welcome email has a follow-up: the others (half of them follow-ups) are not even
      // marked processed.
      accepts: hasFollowUp,
      describe: (e) => ({ subjectId: e.data.subjectId, notification: 'follow-up' }),
    }),
  )
  async emailSent(@Payload() ctx: HandlerContext<typeof EmailSentV2>): Promise<void> {
    const attributes = { 'herald.user_id': ctx.event.data.subjectId };
    const result = await inSpan('schedule follow-up', { attributes }, () => onEmailSent(ctx.event, this.deps, traceHeaders()));
    if (result.outcome === 'scheduled') {
      ctx.status('scheduled', { nextAt: result.dueAt, detail: `follow-up due at ${result.dueAt.toISOString()}` });
    } else {
      ctx.logger.info({ reason: result.reason }, 'no follow-up scheduled');
    }
  }

  @EventPattern(
    UserDeleted.name,
    handlerOptions(UserDeleted, { describe: (e) => ({ subjectId: e.data.userId, notification: 'follow-up' }) }),
  )
  async userDeleted(@Payload() ctx: HandlerContext<typeof UserDeleted>): Promise<void> {
    const cancelled = await onUserDeleted(ctx.event, this.deps);
    if (cancelled > 0) ctx.status('cancelled', { detail: `${cancelled} pending follow-up(s) cancelled: user deleted` });
  }

  @EventPattern(ScheduleRequested.name)
  async scheduleRequested(@Payload() ctx: HandlerContext<typeof ScheduleRequested>): Promise<void> {
    const attributes = { 'herald.schedule_key': ctx.event.data.scheduleKey, 'herald.scheduled.topic': ctx.event.data.topic };
    const result = await inSpan(`schedule ${ctx.event.data.topic}`, { attributes }, () =>
      onScheduleRequested(ctx.event, this.deps, traceHeaders()),
    );
    ctx.logger.info({ scheduleKey: ctx.event.data.scheduleKey, dueAt: result.dueAt, replaced: result.replaced }, 'scheduled');
  }

  @EventPattern(ScheduleCancelRequested.name)
  async scheduleCancelRequested(@Payload() ctx: HandlerContext<typeof ScheduleCancelRequested>): Promise<void> {
    const cancelled = await onScheduleCancelRequested(ctx.event, this.deps);
    ctx.logger.info({ scheduleKey: ctx.event.data.scheduleKey, cancelled }, 'schedule cancel requested');
  }
}
