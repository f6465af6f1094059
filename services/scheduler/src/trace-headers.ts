import { TRACE_HEADER_NAMES } from '@herald/telemetry';

/**
 * Only the W3C trace context of `headers`: what a scheduled row keeps, so that the message
 * published days later continues the trace that scheduled it. Other headers are not stored.
 */
export function pickTraceHeaders(
  headers: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of TRACE_HEADER_NAMES) {
    const value = headers[name];
    if (typeof value === 'string' && value.length > 0) picked[name] = value;
  }
  return picked;
}
