import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { infrastructure } from '@herald/testing';
import { openDatabase } from './client';
import { MIGRATIONS_FOLDER } from './migrate';

// Integration: migration 0010 run again, inside a transaction that is rolled back, over a
// follow-up stored as follow-up.requested.v1 (what an older Herald wrote).
describe('migration 0010_follow_ups_v2', () => {
  const handle = openDatabase(infrastructure().databaseUrl, { max: 1 });
  afterAll(() => handle.close());

  it('turns a stored v1 follow-up into v2, keeping the envelope and only the id and due time', async () => {
    const userId = randomUUID();
    const dueAt = new Date(Date.now() + 86_400_000).toISOString();
    const envelope = { id: randomUUID(), type: 'FollowUpRequested', occurredAt: dueAt, correlationId: userId, causationId: null };
    const v1 = { ...envelope, version: 1, data: { userId, email: 'ada@example.com', username: 'ada_l', fullName: 'Ada Lovelace', dueAt } };
    const client = await handle.pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `insert into scheduled_messages (schedule_key, topic, message_key, value, due_at) values ($1, 'follow-up.requested.v1', $2, $3::jsonb, $4)`,
        [`follow-up:${userId}`, userId, JSON.stringify(v1), dueAt],
      );
      await client.query(fs.readFileSync(path.join(MIGRATIONS_FOLDER, '0010_follow_ups_v2.sql'), 'utf8'));
      const { rows } = await client.query<{ topic: string; value: unknown; state: string }>(
        'select topic, value, state from scheduled_messages where schedule_key = $1',
        [`follow-up:${userId}`],
      );
      expect(rows).toEqual([{ topic: 'follow-up.requested.v2', state: 'pending', value: { ...envelope, version: 2, data: { userId, dueAt } } }]);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
