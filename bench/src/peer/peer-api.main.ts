// The BullMQ peer's HTTP api: the user row, then the welcome email and Slack jobs enqueued.
import { Queue } from 'bullmq';
import type { SignupJob } from './deliveries.ts';
import { QUEUES, RETRY, connectionOf, readPeerSettings } from './peer.config.ts';
import { serveSignupApi } from './signup-api.ts';

const settings = readPeerSettings();
const connection = connectionOf(settings);
const jobOptions = { ...RETRY, removeOnComplete: true, removeOnFail: 1000 };
const emailQueue = new Queue<SignupJob>(QUEUES.email, { connection, prefix: settings.prefix, defaultJobOptions: jobOptions });
const slackQueue = new Queue<SignupJob>(QUEUES.slack, { connection, prefix: settings.prefix, defaultJobOptions: jobOptions });

await serveSignupApi({
  databaseUrl: settings.databaseUrl,
  port: settings.port,
  start: (job) => Promise.all([emailQueue.add('welcome', job, { jobId: `welcome-${job.userId}` }), slackQueue.add('signup', job, { jobId: `signup-${job.userId}` })]),
  close: async () => {
    await Promise.all([emailQueue.close(), slackQueue.close()]);
  },
});
