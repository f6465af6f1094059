/**
 * The scheduler's loops (dispatch, recurring jobs, start-up) while PostgreSQL or Kafka fail: from
 * 500 ms, doubling, at most 30 s apart (@herald/service-kit's backoffPause).
 */
export const SCHEDULER_BACKOFF = Object.freeze({ initialMs: 500, maxMs: 30_000 });
