/** Capped exponential backoff for a loop whose dependency (Kafka, Postgres) is failing. */
export interface BackoffOptions {
  /** Delay after the first failure; default 500 ms. */
  initialMs?: number;
  /** Largest delay; default 30 s. */
  maxMs?: number;
}

/**
 * Delay before the next try after `failures` failures in a row: initial × 2^(failures-1), capped,
 * with ±20 % jitter so replicas that failed together do not retry together.
 */
export function backoffDelay(
  failures: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const base = Math.min(initial * 2 ** Math.max(failures - 1, 0), max);
  return Math.round(base * (0.8 + 0.4 * random()));
}
