// The peers' HTTP api: POST /api/v1/users validates the body as Herald's api does, writes the
// user row to PostgreSQL (the same table and unique indexes), then hands the signup to the peer's
// `start` (enqueue the jobs, start the workflow). Unlike Herald's outbox, that hand-over is not
// atomic with the insert: a crash in between loses the signup's notifications.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import type { SignupJob } from './deliveries.ts';

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

/** Serves the signup api on `port` until SIGTERM or SIGINT, then runs `close`. */
export async function serveSignupApi(options: {
  databaseUrl: string;
  port: number;
  start: (job: SignupJob) => Promise<unknown>;
  close: () => Promise<void>;
}): Promise<FastifyInstance> {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
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
      await options.start({ userId: id, email, username, fullName });
      return reply.code(201).send({ id, email, username, full_name: fullName, created_at: rows[0]?.created_at.toISOString() });
    } catch (error) {
      if ((error as { code?: string }).code === '23505') return reply.code(409).send({ error: 'email_taken' });
      throw error;
    }
  });
  const close = async (): Promise<void> => {
    await app.close();
    await Promise.all([options.close(), pool.end()]);
    process.exit(0);
  };
  process.once('SIGTERM', () => void close());
  process.once('SIGINT', () => void close());
  await app.listen({ host: '127.0.0.1', port: options.port });
  return app;
}
