import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { databaseUrlField, loadEnv, runCli } from '@herald/config';
import { openDatabase } from './client';

/** Folder of the SQL migrations drizzle-kit generated (shipped beside dist/). */
export const MIGRATIONS_FOLDER = path.resolve(__dirname, '../drizzle');

/** Applies every migration not applied yet; safe to run concurrently from several processes. */
export async function migrateDatabase(url: string): Promise<void> {
  const handle = openDatabase(url, { max: 1, application_name: 'herald-migrate' });
  try {
    // drizzle's migrator is not safe against a concurrent run; an advisory lock makes it so.
    await handle.pool.query('select pg_advisory_lock(7244170101)');
    await migrate(handle.db, { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await handle.pool.query('select pg_advisory_unlock(7244170101)').catch(() => undefined);
    await handle.close();
  }
}

if (require.main === module) {
  runCli('migrate', 'usage: npm run db:migrate', async () => {
    await migrateDatabase(loadEnv(Type.Object({ DATABASE_URL: databaseUrlField() })).DATABASE_URL);
    console.log('migrations applied');
    return 0;
  });
}
