import { counter, gauge, histogram } from '@herald/telemetry';
import type { ScheduledMessage } from './scheduled-messages.store';

const dispatched = counter({
  name: 'herald_scheduler_dispatched_total',
  help: 'Scheduled messages published when due, per topic',
  labelNames: ['topic'],
});

const lateness = histogram({
  name: 'herald_scheduler_dispatch_lateness_seconds',
  help: 'Seconds between a scheduled message falling due and its publication',
  labelNames: ['topic'],
});

/** The dispatcher's `onDispatched`: counts each published row and how late it went out. */
export function recordDispatched(rows: readonly ScheduledMessage[], latenessMs: readonly number[]): void {
  rows.forEach((row, i) => {
    dispatched.inc({ topic: row.topic });
    lateness.observe({ topic: row.topic }, (latenessMs[i] ?? 0) / 1000);
  });
}

/** Rows waiting for their due time, read from Postgres on every scrape. */
export function pendingGauge(pending: () => Promise<number>): void {
  gauge({
    name: 'herald_scheduler_pending',
    help: 'Scheduled messages not yet due or not yet published',
    async collect() {
      this.set(await pending());
    },
  });
}
