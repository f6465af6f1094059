// The tutorial's workflows, in the TypeScript SDK. Bundled by the worker into its workflow
// sandbox: only @temporalio/workflow and types may be imported here.
import { proxyActivities, sleep } from '@temporalio/workflow';
import type * as activities from './activities.ts';
import type { SignupJob } from '../peer/deliveries.ts';
import { RETRY } from './temporal.config.ts';

const { sendEmail, postSlack } = proxyActivities<typeof activities>({
  startToCloseTimeout: '30s',
  retry: { ...RETRY, nonRetryableErrorTypes: ['PermanentDeliveryError'] },
});

/**
 * A signup: the welcome email and the Slack message in parallel, then a durable sleep, then the
 * follow-up email (due that long after the welcome email was sent, as Herald's scheduler does).
 */
export async function signupWorkflow(job: SignupJob, followUpDelayMs: number): Promise<void> {
  await Promise.all([sendEmail(job, 'welcome'), postSlack(job)]);
  await sleep(followUpDelayMs);
  await sendEmail(job, 'follow-up');
}

/** A follow-up alone, due at `dueAt` (epoch ms). */
export async function followUpWorkflow(job: SignupJob, dueAt: number): Promise<void> {
  await sleep(Math.max(0, dueAt - Date.now()));
  await sendEmail(job, 'follow-up');
}

/** A delayed message handed on to nothing: a timer due at `dueAt` (epoch ms), then done. */
export async function drainWorkflow(dueAt: number): Promise<void> {
  await sleep(Math.max(0, dueAt - Date.now()));
}
