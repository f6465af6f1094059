import { inArray } from 'drizzle-orm';
import { openDatabase, recurringJobs } from '@herald/db';
import { createKafka } from '@herald/kafka';
import { infrastructure, waitFor } from '@herald/testing';
import { ManualClock } from './clock';
import { readEnv } from './env';
import { CLEANUP_JOB_NAME, cleanupJobs } from './retention.cleanup';
import type { SchedulerLogger } from './logger';
import { SchedulerRuntime } from './scheduler.runtime';

const quiet: SchedulerLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

// Integration: the real PostgreSQL and Kafka. The runtime claims without a filter, so its clock
// stands at 1970: nothing in the shared table is due for it, and other test files keep their rows.
describe('SchedulerRuntime', () => {
  it('starts the dispatcher and the recurring jobs, and closes them', async () => {
    const database = openDatabase(infrastructure().databaseUrl, { max: 4 });
    const kafka = createKafka({
      clientId: 'scheduler-runtime-test',
      brokers: infrastructure().kafkaBrokers,
    });
    const clock = new ManualClock(new Date(0));
    const runtime = new SchedulerRuntime({
      env: readEnv({ DATABASE_URL: infrastructure().databaseUrl }),
      database,
      kafka,
      logger: quiet,
      clock,
    });
    const names = cleanupJobs(database.db, readEnv({ DATABASE_URL: infrastructure().databaseUrl })).map((j) => j.name);
    const existed = (await database.db.select().from(recurringJobs).where(inArray(recurringJobs.name, names))).map((j) => j.name);
    try {
      await runtime.start();
      await waitFor(() => runtime.dispatcher.phase === 'sleeping', {
        description: 'the dispatcher to sleep',
      });
      expect(clock.sleeping).toBe(2);
      const jobs = await database.db.select().from(recurringJobs).where(inArray(recurringJobs.name, names));
      expect(jobs.map((j) => [j.name, j.cron]).sort()).toEqual(names.map((name) => [name, '0 3 * * *']).sort());
      expect(names).toContain(CLEANUP_JOB_NAME);
    } finally {
      await runtime.close();
      // A row made here would say 1970 to a real scheduler sharing the database.
      const made = names.filter((name) => !existed.includes(name));
      if (made.length > 0) await database.db.delete(recurringJobs).where(inArray(recurringJobs.name, made));
      await database.close();
    }
    expect(runtime.dispatcher.phase).toBe('stopped');
  });
});
