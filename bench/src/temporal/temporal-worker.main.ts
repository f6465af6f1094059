// The Temporal peer's worker: the signup, follow-up and drain workflows and the email and Slack
// activities, on one task queue, in one process (on two cores a second worker process only adds
// its own polling and sandbox). Concurrency is the BullMQ peer's: 50 activities at a time.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from './activities.ts';
import { TASK_QUEUE, readTemporalSettings } from './temporal.config.ts';

const settings = readTemporalSettings();
const concurrency = Number(process.env.CONCURRENCY ?? 50);
const connection = await NativeConnection.connect({ address: settings.address });
const worker = await Worker.create({
  connection,
  namespace: settings.namespace,
  taskQueue: TASK_QUEUE,
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities,
  maxConcurrentActivityTaskExecutions: concurrency,
});
const running = worker.run();
console.log('temporal worker ready');

const close = (): void => worker.shutdown();
process.once('SIGTERM', close);
process.once('SIGINT', close);
await running;
await connection.close();
process.exit(0);
