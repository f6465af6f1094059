import { counter, gauge, histogram } from '@herald/telemetry';

/** Events the outbox relay published to Kafka, per topic. */
export const outboxPublished = counter({
  name: 'herald_outbox_published_total',
  help: 'Events the outbox relay published to Kafka',
  labelNames: ['topic'],
});

/** Time from the outbox row's commit to its publication to Kafka. */
export const outboxPublishDelay = histogram({
  name: 'herald_outbox_publish_delay_seconds',
  help: 'Seconds from an outbox row being written to its event being acknowledged by Kafka',
  labelNames: ['topic'],
});

/** Rows waiting in the outbox, read from Postgres on every scrape. */
export function outboxBacklogGauge(backlog: () => Promise<number>): void {
  gauge({
    name: 'herald_outbox_backlog',
    help: 'Outbox rows not yet published to Kafka',
    async collect() {
      this.set(await backlog());
    },
  });
}

/** Requests the api answered, by route and status (a 4xx is bad input, a 5xx ours). */
export const httpRequests = counter({
  name: 'herald_http_requests_total',
  help: 'HTTP requests the api answered, by method, route and status code',
  labelNames: ['method', 'route', 'status_code'],
});

/** How long the api took to answer, by route. */
export const httpDuration = histogram({
  name: 'herald_http_request_duration_seconds',
  help: 'Seconds from a request arriving to its answer, by method and route',
  labelNames: ['method', 'route'],
});
