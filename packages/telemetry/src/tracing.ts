import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
} from '@opentelemetry/api';

export { SpanKind, type Context, type Span };

/** The tracer of Herald's own spans (SMTP sends, schedule and dispatch, retries, dead letters). */
export const tracer = trace.getTracer('herald');

export interface SpanOptions {
  kind?: SpanKind;
  /** Set only when the span records; a function is not even called otherwise. */
  attributes?: Attributes | (() => Attributes);
  /** The parent; the active context when left out. */
  parent?: Context;
}

/**
 * Starts a span (not made active). Its attributes are set only when it records: a span the
 * sampler left out then costs no attribute work, which at thousands of messages a second and a
 * low sampling ratio was most of the tracing cost. Herald's samplers (always-on, ratio,
 * parent-based) do not look at attributes.
 */
export function startSpan(name: string, options: SpanOptions = {}): Span {
  const span = tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL }, options.parent ?? context.active());
  const { attributes } = options;
  if (attributes && span.isRecording()) span.setAttributes(typeof attributes === 'function' ? attributes() : attributes);
  return span;
}

/**
 * Runs `fn` inside a new active span and ends it when `fn` settles. A throw marks the span as
 * failed (status ERROR, the exception recorded) and is rethrown.
 */
export async function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = startSpan(name, { ...options, parent });
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span as failed by `error`. */
export function markFailed(span: Span, error: unknown): void {
  const exception = error instanceof Error ? error : new Error(String(error));
  span.recordException(exception);
  span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
}

/** Header values as Kafka gives them: strings, Buffers, or lists of them. */
export type HeaderCarrier = Readonly<Record<string, string | Buffer | readonly (string | Buffer)[] | undefined>>;

const headerGetter: TextMapGetter<HeaderCarrier> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const value = carrier[key];
    const first = Array.isArray(value) ? (value as readonly (string | Buffer)[])[0] : (value as string | Buffer | undefined);
    return first === undefined ? undefined : first.toString();
  },
};

/** The W3C trace context (`traceparent`, `tracestate`) that headers carry; empty when none. */
export function contextFromHeaders(headers: HeaderCarrier): Context {
  return propagation.extract(ROOT_CONTEXT, headers, headerGetter);
}

/** W3C `traceparent`, version 00: version, trace id, parent id, flags. */
const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The trace id of the `traceparent` the headers carry, read from the header itself (W3C Trace
 * Context), so that it is there whether or not this process traces.
 */
export function traceIdFromHeaders(headers: HeaderCarrier): string | undefined {
  const value = headerGetter.get(headers, 'traceparent');
  const traceId = typeof value === 'string' ? TRACEPARENT.exec(value)?.[1] : undefined;
  return traceId && !/^0+$/.test(traceId) ? traceId : undefined;
}

/** True when the headers carry a trace context of their own. */
export function carriesTraceContext(headers: HeaderCarrier): boolean {
  return trace.getSpanContext(contextFromHeaders(headers)) !== undefined;
}

/** The trace context the headers carry, or `fallback` (the active context by default) when none. */
export function contextFromHeadersOr(headers: HeaderCarrier, fallback: Context = context.active()): Context {
  const carried = contextFromHeaders(headers);
  return trace.getSpanContext(carried) !== undefined ? carried : fallback;
}

/** The W3C trace context headers (https://www.w3.org/TR/trace-context/) a message may carry. */
export const TRACE_HEADER_NAMES: readonly string[] = ['traceparent', 'tracestate'];

/** The trace context `ctx` (the active one by default) as W3C headers, for a message or a stored row. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(ctx, headers);
  return headers;
}

/** The trace id of the active span, when there is a real one (tracing on, inside a span). */
export function activeTraceId(): string | undefined {
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? span.traceId : undefined;
}

/**
 * Renames the active span and adds attributes to it: an HTTP server span named `POST` becomes
 * `POST /api/v1/users` once the router knows the route.
 */
export function annotateActiveSpan(name: string, attributes: Attributes = {}): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  span.updateName(name);
  span.setAttributes(attributes);
}

/** `parent` with `span` as its active span: the context a child span or a message header needs. */
export function contextWithSpan(parent: Context, span: Span): Context {
  return trace.setSpan(parent, span);
}

/** The active context (the parent a new span gets by default). */
export function activeContext(): Context {
  return context.active();
}
