import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** Retrying stops when it aborts: the last failure is thrown, at once, even mid-pause. */
  signal?: AbortSignal;
  /** Pause after the first failure; default 250 ms. */
  initialMs?: number;
  /** Longest pause; default 10 s. */
  maxMs?: number;
  /** Told of every failure before the pause that follows it. */
  onFailure?: (error: unknown, failures: number, retryInMs: number) => void;
  random?: () => number;
}

/**
 * The pause after `failures` failures in a row: initial × 2^(failures-1), capped at `maxMs`, with
 * ±20 % jitter so that processes which failed together do not retry together.
 */
export function backoffPause(failures: number, options: Pick<RetryOptions, 'initialMs' | 'maxMs' | 'random'> = {}): number {
  const initial = options.initialMs ?? 250;
  const max = options.maxMs ?? 10_000;
  const base = Math.min(initial * 2 ** Math.max(failures - 1, 0), max);
  return Math.round(base * (0.8 + 0.4 * (options.random ?? Math.random)()));
}

/**
 * Runs `work` until it resolves, pausing with capped exponential backoff after each failure: the
 * one loop for waiting out Kafka or PostgreSQL. It never gives up by itself; only `signal` ends it.
 * (p-retry, the maintained library for this, ships ES modules only, which the CommonJS build and
 * jest here do not load; its abortable pause is the part Herald needs.)
 */
export async function retrying<T>(work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  for (let failures = 1; ; failures += 1) {
    try {
      return await work();
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const pause = backoffPause(failures, options);
      options.onFailure?.(error, failures, pause);
      try {
        await sleep(pause, undefined, options.signal ? { signal: options.signal } : undefined);
      } catch {
        throw error;
      }
    }
  }
}
