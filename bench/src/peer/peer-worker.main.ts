// The BullMQ peer's workers, one process per queue (QUEUE=email | slack | drain), as Herald runs
// one service per channel. email: the welcome email, then the follow-up as a delayed job (due
// FOLLOW_UP_DELAY_MS after the welcome email was sent, as Herald's scheduler does), and the
// follow-up email; slack: the "new signup" message; drain: a no-op, to time the delayed set alone.
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import nodemailer from 'nodemailer';
import { Pool } from 'undici';
import { QUEUES, RETRY, connectionOf, readPeerSettings, type SignupJob } from './peer.config.ts';

const settings = readPeerSettings();
const connection = connectionOf(settings);
const queueName = process.env.QUEUE ?? QUEUES.email;
const concurrency = Number(process.env.CONCURRENCY ?? 50);
const smtpPoolSize = Number(process.env.SMTP_POOL_SIZE ?? 30);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function emailProcessor(): (job: Job<SignupJob>) => Promise<void> {
  const smtp = new URL(settings.smtpUrl);
  // The same pool as Herald's email service: SMTP_POOL_SIZE, 30 by default as Herald's.
  const transport = nodemailer.createTransport({ pool: true, maxConnections: smtpPoolSize, host: smtp.hostname, port: Number(smtp.port || 25), secure: false });
  const followUps = new Queue<SignupJob>(QUEUES.email, {
    connection,
    prefix: settings.prefix,
    defaultJobOptions: { ...RETRY, removeOnComplete: true, removeOnFail: 1000 },
  });
  return async (job) => {
    const { fullName, email, userId } = job.data;
    const welcome = job.name === 'welcome';
    const subject = welcome ? `Welcome ${fullName.replace(/[\r\n]+/g, ' ')}!` : 'How are you finding our platform?';
    const text = welcome ? `Hi ${fullName},\n\nWelcome aboard.` : `Hi ${fullName},\n\nHow are you finding our platform?`;
    try {
      await transport.sendMail({
        from: 'Herald <no-reply@herald.local>',
        to: email,
        subject,
        text,
        html: `<p>${escapeHtml(text)}</p>`,
        messageId: `<${job.id ?? userId}@herald.local>`,
      });
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      if (code !== undefined && code >= 500) throw new UnrecoverableError(`SMTP ${code}`);
      throw error;
    }
    if (welcome) await followUps.add('follow-up', job.data, { delay: settings.followUpDelayMs, jobId: `follow-up-${userId}` });
  };
}

function slackProcessor(): (job: Job<SignupJob>) => Promise<void> {
  const url = new URL(settings.slackWebhookUrl);
  const pool = new Pool(url.origin, { connections: 10 });
  return async (job) => {
    const { fullName, username, email } = job.data;
    const text = `:wave: New signup: *${escapeSlack(fullName)}* (${escapeSlack(username)}, ${escapeSlack(email)})`;
    const response = await pool.request({
      method: 'POST',
      path: url.pathname,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
      headersTimeout: 30_000,
    });
    await response.body.dump();
    if (response.statusCode === 200) return;
    const message = `Slack answered ${response.statusCode}`;
    if (response.statusCode === 429 || response.statusCode >= 500) throw new Error(message);
    throw new UnrecoverableError(message);
  };
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
