import { Pool } from 'undici';
import { nowMs } from '../clock.ts';
import { dueUntil, openLoopSchedule } from './open-loop.schedule.ts';

/** One signup request as the driver saw it. */
export interface SentSignup {
  email: string;
  /** When it was scheduled to leave (wall-clock ms): latencies count from here. */
  scheduledAt: number;
  /** HTTP status, or 0 for a connection error or timeout. */
  status: number;
  /** Response time from the scheduled time, ms. */
  latencyMs: number;
  /** The Retry-After header of a 429 or 503, as sent. */
  retryAfter?: string;
}

/** A signup body, numbered so that every address is unique across runs. */
export function signupBody(prefix: string, n: number): { email: string; username: string; full_name: string } {
  return { email: `${prefix}-${n}@bench.test`, username: `${prefix}-${n}`, full_name: `Bench User ${n}` };
}

/**
 * Drives POST /api/v1/users at a fixed rate, open loop: each request leaves at its scheduled time
 * whatever happened to the earlier ones (a busy connection pool queues it, and that wait counts in
 * its latency). Resolves when every response or error is in.
 */
export async function driveSignups(options: {
  apiUrl: string;
  rate: number;
  durationMs: number;
  /** Address prefix; addresses are `<prefix>-<n>@bench.test`. */
  prefix: string;
  firstNumber: number;
  /** Sent with every signup besides the content type: the system's credential. */
  headers?: Record<string, string>;
  connections?: number;
}): Promise<SentSignup[]> {
  const pool = new Pool(options.apiUrl, {
    connections: options.connections ?? 64,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
    keepAliveTimeout: 30_000,
  });
  const schedule = openLoopSchedule(options.rate, options.durationMs);
  const results: SentSignup[] = [];
  const pending: Promise<void>[] = [];
  const start = nowMs() + 5;
  const send = (index: number): void => {
    const scheduledAt = start + (schedule[index] as number);
    const body = signupBody(options.prefix, options.firstNumber + index);
    pending.push(
      pool
        .request({ method: 'POST', path: '/api/v1/users', headers: { 'content-type': 'application/json', ...options.headers }, body: JSON.stringify(body) })
        .then(
          async (response) => {
            await response.body.dump();
            const retryAfter = response.headers['retry-after'];
            return { status: response.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined };
          },
          () => ({ status: 0, retryAfter: undefined }),
        )
        .then(({ status, retryAfter }) => {
          results.push({ email: body.email, scheduledAt, status, latencyMs: nowMs() - scheduledAt, ...(retryAfter ? { retryAfter } : {}) });
        }),
    );
  };
  let next = 0;
  while (next < schedule.length) {
    const end = dueUntil(schedule, next, nowMs() - start);
    for (; next < end; next += 1) send(next);
    if (next < schedule.length) {
      const wait = start + (schedule[next] as number) - nowMs();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.floor(wait))));
    }
  }
  await Promise.all(pending);
  await pool.close();
  return results;
}
