import { eq } from 'drizzle-orm';
import { openDatabase, recurringJobs } from '@herald/db';
import { createKafka } from '@herald/kafka';
import { infrastructure, waitFor } from '@herald/testing';
import { ManualClock } from './clock';
import { readEnv } from './env';
import { CLEANUP_JOB_NAME } from './retention.cleanup';
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
      env: readEnv({}),
      database,
      kafka,
      logger: quiet,
      clock,
    });
    const job = eq(recurringJobs.name, CLEANUP_JOB_NAME);
    const jobExisted = (await database.db.select().from(recurringJobs).where(job)).length > 0;
    try {
      await runtime.start();
      await waitFor(() => runtime.dispatcher.phase === 'sleeping', {
        description: 'the dispatcher to sleep',
      });
      expect(clock.sleeping).toBe(2);
      expect((await database.db.select().from(recurringJobs).where(job))[0]?.cron).toBe(
        '0 3 * * *',
      );
    } finally {
      await runtime.close();
      // A row made here would say 1970 to a real scheduler sharing the database.
      if (!jobExisted) await database.db.delete(recurringJobs).where(job);
      await database.close();
    }
    expect(runtime.dispatcher.phase).toBe('stopped');
  });
});
