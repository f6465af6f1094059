// The BullMQ peer's HTTP api: POST /api/v1/users writes the user row to PostgreSQL (the same
// table and unique indexes as Herald's api), then enqueues the welcome email and the Slack message.
// Unlike Herald's outbox, the enqueue is not atomic with the insert: a crash in between loses them.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import pg from 'pg';
import { QUEUES, RETRY, connectionOf, readPeerSettings, type SignupJob } from './peer.config.ts';

const settings = readPeerSettings();
const connection = connectionOf(settings);
const jobOptions = { ...RETRY, removeOnComplete: true, removeOnFail: 1000 };
const emailQueue = new Queue<SignupJob>(QUEUES.email, { connection, prefix: settings.prefix, defaultJobOptions: jobOptions });
const slackQueue = new Queue<SignupJob>(QUEUES.slack, { connection, prefix: settings.prefix, defaultJobOptions: jobOptions });
const pool = new pg.Pool({ connectionString: settings.databaseUrl, max: 10 });

const body = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'username', 'full_name'],
  properties: {
    email: { type: 'string', format: 'email', maxLength: 254 },
    username: { type: 'string', minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
    full_name: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]*\\S[^\\u0000-\\u001f\\u007f]*$' },
  },
} as const;

interface SignupBody {
  email: string;
  username: string;
  full_name: string;
}

const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.post<{ Body: SignupBody }>('/api/v1/users', { schema: { body } }, async (request, reply) => {
  const { email, username, full_name: fullName } = request.body;
  const id = randomUUID();
  try {
    const { rows } = await pool.query<{ created_at: Date }>(
      'insert into users (id, email, username, full_name) values ($1, $2, $3, $4) returning created_at',
      [id, email, username, fullName],
    );
    const job: SignupJob = { userId: id, email, username, fullName };
    await Promise.all([emailQueue.add('welcome', job, { jobId: `welcome-${id}` }), slackQueue.add('signup', job, { jobId: `signup-${id}` })]);
    return reply.code(201).send({ id, email, username, full_name: fullName, created_at: rows[0]?.created_at.toISOString() });
  } catch (error) {
    if ((error as { code?: string }).code === '23505') return reply.code(409).send({ error: 'email_taken' });
    throw error;
  }
});

const close = async (): Promise<void> => {
  await app.close();
  await Promise.all([emailQueue.close(), slackQueue.close(), pool.end()]);
  process.exit(0);
};
process.once('SIGTERM', () => void close());
process.once('SIGINT', () => void close());
await app.listen({ host: '127.0.0.1', port: settings.port });
