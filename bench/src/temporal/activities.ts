// The Temporal peer's activities: the same SMTP exchange and Slack POST as the other systems.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { emailSender, PermanentDeliveryError, slackPoster, type EmailKind, type SignupJob } from '../peer/deliveries.ts';
import { readTemporalSettings } from './temporal.config.ts';

const settings = readTemporalSettings();
// The same pool as Herald's email service: SMTP_POOL_SIZE, 30 by default as Herald's.
const send = emailSender(settings.smtpUrl, Number(process.env.SMTP_POOL_SIZE ?? 30));
const post = slackPoster(settings.slackWebhookUrl);

/** Temporal's way of saying "do not retry". */
async function permanentAsNonRetryable(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof PermanentDeliveryError) throw ApplicationFailure.nonRetryable(error.message, 'PermanentDeliveryError');
    throw error;
  }
}

export async function sendEmail(job: SignupJob, kind: EmailKind): Promise<void> {
  const workflowId = Context.current().info.workflowExecution?.workflowId ?? job.userId;
  await permanentAsNonRetryable(() => send(job, kind, `${kind}-${workflowId}`));
}

export async function postSlack(job: SignupJob): Promise<void> {
  await permanentAsNonRetryable(() => post(job));
}
