import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { infrastructure } from './infrastructure';

/**
 * Runs the api's keys CLI (`npm run keys -- <args>`, from its build) against the test database,
 * as an operator would, and returns its JSON answer.
 */
export async function apiKeysCli(...args: string[]): Promise<Record<string, unknown>> {
  const cli = path.resolve(__dirname, '../../../services/api/dist/api-keys.cli.js');
  const { stdout } = await promisify(execFile)(process.execPath, [cli, ...args], {
    env: { ...process.env, DATABASE_URL: infrastructure().databaseUrl },
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}
