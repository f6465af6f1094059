import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

/** Paths polled by probes and scrapers: never traced, they would bury the traces that matter. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export interface Telemetry {
  /** Flushes the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing for a service: OTLP export (to Jaeger in the stack) and the
 * instrumentations that fit Herald: incoming and outgoing HTTP, undici (Slack), pg, and pino
 * (every log line written inside a span carries `traceId` and `spanId`).
 *
 * Call it before anything else is imported: instrumentations patch modules as they are loaded.
 * Kafka is traced by Herald's own producer and consumer spans (see `@herald/kafka` and
 * `@herald/consumer`), not by `@opentelemetry/instrumentation-kafkajs`, whose batch spans would
 * start a new trace per fetched batch and per outbox round.
 *
 * Configured by the standard variables: `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_TRACES_SAMPLER`,
 * `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_SDK_DISABLED=true` to turn it off.
 */
export function startTelemetry(serviceName: string): Telemetry {
  const sdk = new NodeSDK({
    serviceName,
    traceExporter: new OTLPTraceExporter(),
    // Traces only: metrics are Prometheus (`/metrics`, prom-client) and logs are pino's lines.
    // Left to their defaults, the SDK would also export both over OTLP, which Jaeger refuses.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '/').split('?')[0] ?? '/'),
        // The exporter's own requests and anything outside a trace stay untraced.
        requireParentforOutgoingSpans: true,
      }),
      new UndiciInstrumentation({
        requireParentforSpans: true,
        // An outgoing URL's path and query may be the credential (a Slack webhook's is): spans
        // keep its origin only.
        startSpanHook: (request) => ({ 'url.full': `${request.origin}/[redacted]`, 'url.path': '[redacted]', 'url.query': '' }),
      }),
      // Only queries made on behalf of a traced request or message: the relay's and the
      // dispatcher's polling would otherwise be one trace per poll.
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
      new PinoInstrumentation({
        disableLogSending: true,
        logKeys: { traceId: 'traceId', spanId: 'spanId', traceFlags: 'traceFlags' },
      }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
