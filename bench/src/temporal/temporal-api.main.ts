// The Temporal peer's HTTP api: the user row, then the signup workflow started (the tutorial's
// `start_workflow` from the API), one workflow id a user.
import { Client, Connection } from '@temporalio/client';
import { serveSignupApi } from '../peer/signup-api.ts';
import { TASK_QUEUE, readTemporalSettings } from './temporal.config.ts';
import type { signupWorkflow } from './workflows.ts';

const settings = readTemporalSettings();
const connection = await Connection.connect({ address: settings.address });
const client = new Client({ connection, namespace: settings.namespace });

await serveSignupApi({
  databaseUrl: settings.databaseUrl,
  port: settings.port,
  start: (job) =>
    client.workflow.start<typeof signupWorkflow>('signupWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: `signup-${job.userId}`,
      args: [job, settings.followUpDelayMs],
    }),
  close: () => connection.close(),
});
