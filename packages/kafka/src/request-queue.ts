import { createRequire } from 'node:module';

/** The parts of kafkajs' internal RequestQueue (one per broker connection) the fix touches. */
export interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

// kafkajs' own retry interval for requests held back by the in-flight limit or a throttle.
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/**
 * kafkajs 2.2.4 (its last release) checks its queue of held-back requests after every response,
 * and then schedules the next check `throttledUntil - now` ms out even when nothing is held back
 * and nothing throttles: a negative delay, which Node runs after 1 ms, and which schedules the
 * next. Every connection that ever got a response spins a 1 ms timer for the life of the process
 * (tulios/kafkajs#1704, #1556; the unmerged fix is PR #1667; Node 23+ also prints a
 * TimeoutNegativeWarning for it). This is that fix, applied to the class kafkajs loads: a check
 * is scheduled only when a request is held back or a throttle is running, with kafkajs' own delays.
 */
function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  if (this.pending.length === 0 && untilUnthrottled <= 0) return;
  const delay = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}

/** kafkajs' RequestQueue class: the module `require('kafkajs')` itself loads. */
export function kafkajsRequestQueue(): { prototype: RequestQueueInternals } {
  const load = createRequire(__filename);
  return load('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };
}

let installed = false;

/** Installs the fix once per process; `createKafka` calls it. Returns whether this call installed it. */
export function fixRequestQueueTimerLoop(): boolean {
  if (installed) return false;
  kafkajsRequestQueue().prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  installed = true;
  return true;
}
