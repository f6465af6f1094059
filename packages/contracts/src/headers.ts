/**
 * Kafka header names Herald sets besides the W3C trace context (`traceparent`, `tracestate`),
 * which OpenTelemetry's kafkajs instrumentation writes and reads.
 */
export const Headers = Object.freeze({
  /** The event's id, so a consumer can deduplicate before parsing the value. */
  eventId: 'herald-event-id',
  /** The event's type and version, `UserCreated/1`. */
  eventType: 'herald-event-type',
  correlationId: 'herald-correlation-id',
});
