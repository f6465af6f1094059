/**
 * When each request of an open-loop run leaves, in milliseconds from the start: `rate` a second,
 * evenly spaced, for `durationMs`. The schedule is fixed before the run, so a slow response never
 * delays the requests after it, and latency is measured from these times (no coordinated
 * omission).
 */
export function openLoopSchedule(rate: number, durationMs: number): number[] {
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be a positive number, got ${rate}`);
  if (!(durationMs >= 0)) throw new RangeError(`duration must not be negative, got ${durationMs}`);
  const count = Math.floor((rate * durationMs) / 1000);
  const interval = 1000 / rate;
  return Array.from({ length: count }, (_, i) => i * interval);
}

/**
 * The requests due by `elapsedMs` that have not left yet: indexes from `next` up to (not
 * including) the returned one. A late timer therefore sends every overdue request at once, and
 * each keeps its scheduled time.
 */
export function dueUntil(schedule: readonly number[], next: number, elapsedMs: number): number {
  let end = next;
  while (end < schedule.length && (schedule[end] as number) <= elapsedMs) end += 1;
  return end;
}
