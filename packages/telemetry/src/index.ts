export {
  activeContext,
  activeTraceId,
  annotateActiveSpan,
  carriesTraceContext,
  contextFromHeaders,
  contextWithSpan,
  inSpan,
  markFailed,
  SpanKind,
  TRACE_HEADER_NAMES,
  traceHeaders,
  tracer,
  type Context,
  type HeaderCarrier,
  type Span,
  type SpanOptions,
} from './tracing';
export { counter, DURATION_BUCKETS, gauge, histogram, registry, scrape } from './metrics';
