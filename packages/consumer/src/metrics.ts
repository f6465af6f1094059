import { counter, gauge, histogram } from '@herald/telemetry';
import type { OutcomeRecord } from './handler';

const messages = counter({
  name: 'herald_handler_messages_total',
  help: 'Messages a handler finished with, by outcome: handled, skipped (owed nothing: the user it names is gone), retried (sent to a retry topic), dead_lettered, duplicate (already handled by the group), ignored (not an event the handler acts on), deferred (waited for its retry time)',
  labelNames: ['group', 'handler', 'outcome'],
});

const failures = counter({
  name: 'herald_handler_failures_total',
  help: 'Failed attempts (including messages that broke their contract), by error type',
  labelNames: ['group', 'handler', 'error_type'],
});

const duration = histogram({
  name: 'herald_handler_duration_seconds',
  help: 'Seconds one attempt took, from decoding the message to its last effect, by outcome',
  labelNames: ['group', 'handler', 'outcome'],
});

const settleWindow = histogram({
  name: 'herald_consumer_settle_window_seconds',
  help: 'Seconds from the end of an attempt to the durable write of its outcome: a crash within them repeats the side effect',
  labelNames: ['group'],
  buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 5],
});

const lag = gauge({
  name: 'herald_consumer_lag',
  help: 'Messages of the partition not finished yet: from its first message still in progress (or the next to read) to its end as last fetched',
  labelNames: ['group', 'topic', 'partition'],
});

const inProgress = gauge({
  name: 'herald_consumer_in_progress',
  help: 'Messages the consumer has read ahead and not finished (waiting for their turn or being handled)',
  labelNames: ['group'],
});

/** Counts one message's end for `/metrics`. */
export function recordOutcome(group: string, record: OutcomeRecord): void {
  const outcome = record.outcome.replace('-', '_');
  messages.inc({ group, handler: record.handler, outcome });
  if (record.errorType) failures.inc({ group, handler: record.handler, error_type: record.errorType });
  if (record.outcome === 'handled' || record.outcome === 'retried' || record.outcome === 'dead-lettered') {
    duration.observe({ group, handler: record.handler, outcome }, record.durationMs / 1000);
  }
}

/** Messages taken and not finished. */
export function recordInProgress(group: string, count: number): void {
  inProgress.set({ group }, count);
}

/** The partition's lag once the consumer is at `nextOffset`. */
export function recordLag(group: string, topic: string, partition: number, highWatermark: string, nextOffset: string): void {
  lag.set({ group, topic, partition: String(partition) }, Math.max(0, Number(highWatermark) - Number(nextOffset)));
}

/** How long an attempt's outcome took to become durable once the attempt ended. */
export function recordSettleWindow(group: string, ms: number): void {
  settleWindow.observe({ group }, ms / 1000);
}
