/** W3C trace context headers (https://www.w3.org/TR/trace-context/). */
const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/**
 * The trace context of an incoming message, to store with what it schedules: the message
 * published days later then continues the trace that asked for it.
 */
export function traceHeaders(
  headers: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of TRACE_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string' && value.length > 0) picked[name] = value;
  }
  return picked;
}
