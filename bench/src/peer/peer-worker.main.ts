// The BullMQ peer's workers, one process per queue (QUEUE=email | slack | drain), as Herald runs
// one service per channel. email: the welcome email, then the follow-up as a delayed job (due
// FOLLOW_UP_DELAY_MS after the welcome email was sent, as Herald's scheduler does), and the
// follow-up email; slack: the "new signup" message; drain: a no-op, to time the delayed set alone.
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { emailSender, PermanentDeliveryError, slackPoster, type SignupJob } from './deliveries.ts';
import { QUEUES, RETRY, connectionOf, readPeerSettings } from './peer.config.ts';

const settings = readPeerSettings();
const connection = connectionOf(settings);
const queueName = process.env.QUEUE ?? QUEUES.email;
const concurrency = Number(process.env.CONCURRENCY ?? 50);
// The same pool as Herald's email service: SMTP_POOL_SIZE, 30 by default as Herald's.
const smtpPoolSize = Number(process.env.SMTP_POOL_SIZE ?? 30);

/** BullMQ's way of saying "do not retry". */
async function permanentAsUnrecoverable(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof PermanentDeliveryError) throw new UnrecoverableError(error.message);
    throw error;
  }
}

function emailProcessor(): (job: Job<SignupJob>) => Promise<void> {
  const send = emailSender(settings.smtpUrl, smtpPoolSize);
  const followUps = new Queue<SignupJob>(QUEUES.email, {
    connection,
    prefix: settings.prefix,
    defaultJobOptions: { ...RETRY, removeOnComplete: true, removeOnFail: 1000 },
  });
  return async (job) => {
    const welcome = job.name === 'welcome';
    await permanentAsUnrecoverable(() => send(job.data, welcome ? 'welcome' : 'follow-up', job.id ?? job.data.userId));
    if (welcome) await followUps.add('follow-up', job.data, { delay: settings.followUpDelayMs, jobId: `follow-up-${job.data.userId}` });
  };
}

function slackProcessor(): (job: Job<SignupJob>) => Promise<void> {
  const post = slackPoster(settings.slackWebhookUrl);
  return (job) => permanentAsUnrecoverable(() => post(job.data));
}

const processor = queueName === QUEUES.email ? emailProcessor() : queueName === QUEUES.slack ? slackProcessor() : async () => undefined;
const worker = new Worker<SignupJob>(queueName, processor, { connection, prefix: settings.prefix, concurrency });
worker.on('error', (error) => console.error(`worker ${queueName}:`, error.message));
await worker.waitUntilReady();
console.log(`peer worker ${queueName} ready`);

const close = async (): Promise<void> => {
  await worker.close();
  process.exit(0);
};
process.once('SIGTERM', () => void close());
process.once('SIGINT', () => void close());
