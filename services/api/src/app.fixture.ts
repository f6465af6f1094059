// Test helpers of the api's tests (excluded from the build).
import { randomBytes } from 'node:crypto';
import { openDatabase, type DatabaseHandle } from '@herald/db';
import { createKafka } from '@herald/kafka';
import { createLogger } from '@herald/service-kit';
import { infrastructure } from '@herald/testing';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type App } from './app';

export const ADMIN_TOKEN = 'test-admin-token';

/** The header of a request made with the admin credential. */
export const AS_ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** An app on the real database; its Kafka admin is never connected (only /readyz would use it). */
export async function testApp(database: DatabaseHandle = openDatabase(infrastructure().databaseUrl)): Promise<{
  app: App;
  database: DatabaseHandle;
  /** app.inject with the admin credential, unless the request sets its own authorization. */
  asAdmin(request: InjectOptions): Promise<LightMyRequestResponse>;
  /** How many times the app has woken the relay (after committing an outbox row). */
  outboxWakes(): number;
  close(): Promise<void>;
}> {
  const kafkaAdmin = createKafka({ clientId: 'api-test', brokers: infrastructure().kafkaBrokers }).admin();
  let wakes = 0;
  const app = await buildApp({
    logger: createLogger('api-test', 'silent'),
    database,
    kafkaAdmin,
    adminToken: ADMIN_TOKEN,
    outboxWritten: () => (wakes += 1),
  });
  return {
    app,
    database,
    outboxWakes: () => wakes,
    asAdmin: (request) => app.inject({ ...request, headers: { ...AS_ADMIN, ...request.headers } }),
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

/** A signup body no other test uses. */
export function newSignup(overrides: Record<string, unknown> = {}): { email: string; username: string; full_name: string } {
  const tag = randomBytes(6).toString('hex');
  return { email: `ada.${tag}@example.com`, username: `ada_${tag}`, full_name: 'Ada Lovelace', ...overrides };
}

/** The body of a created user. */
export interface UserBody {
  id: string;
  email: string;
  username: string;
  full_name: string;
  created_at: string;
}

/** The body of an error response. */
export interface ErrorResponseBody {
  error: string;
  message: string;
  errors?: { field: string; message: string }[];
  error_id?: string;
}

/** Asymmetric matchers typed as unknown, so that placing them in objects is not an unsafe `any`. */
export const anyString: unknown = expect.any(String);
export const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);
