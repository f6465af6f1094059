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
  /** On an event a handler emitted: the number of the attempt that emitted it (1 for the first). */
  attempt: 'herald-attempt',
});

/**
 * Headers of the retry and dead-letter machinery, on messages in `<group>.<topic>.retry.<delay>`
 * and `<group>.<topic>.dlq`. The original key, value and other headers are kept as they were.
 */
export const RetryHeaders = Object.freeze({
  /** Number of the attempt this message is waiting for (2 for the first retry). */
  attempt: 'herald-retry-attempt',
  /** Not before this time (epoch milliseconds) may the attempt start. */
  notBefore: 'herald-retry-not-before',
  /** When the first attempt started (epoch milliseconds). */
  firstAttemptAt: 'herald-retry-first-attempt-at',
  /** When the message was first seen in its source topic (epoch milliseconds). */
  firstSeenAt: 'herald-retry-first-seen-at',
  lastAttemptAt: 'herald-retry-last-attempt-at',
  originalTopic: 'herald-original-topic',
  originalPartition: 'herald-original-partition',
  originalOffset: 'herald-original-offset',
  originalTimestamp: 'herald-original-timestamp',
  group: 'herald-consumer-group',
  errorType: 'herald-error-type',
  errorCode: 'herald-error-code',
  errorMessage: 'herald-error-message',
  errorStack: 'herald-error-stack',
  /** Times an operator sent this dead letter back; a redrive past the limit is refused. */
  redriveCount: 'herald-redrive-count',
});
