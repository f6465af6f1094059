import { randomBytes } from 'node:crypto';
import { infrastructure } from './infrastructure';

/** A span as Jaeger's query API returns it, with its service name resolved. */
export interface TracedSpan {
  spanID: string;
  parentSpanID: string | undefined;
  operationName: string;
  service: string;
  kind: string | undefined;
  tags: Record<string, unknown>;
}

interface JaegerSpan {
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
}

/** A new sampled W3C `traceparent` and its trace id, to start a test's trace from the outside. */
export function newTraceparent(): { traceId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

/** Every span Jaeger holds of one trace (empty while it has none). */
export async function jaegerTrace(traceId: string): Promise<TracedSpan[]> {
  const response = await fetch(new URL(`/api/traces/${traceId}`, infrastructure().jaegerUrl));
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`Jaeger answered ${response.status} for trace ${traceId}`);
  const body = (await response.json()) as {
    data: { spans: JaegerSpan[]; processes: Record<string, { serviceName: string }> }[];
  };
  return body.data.flatMap((trace) =>
    trace.spans.map((span) => {
      const tags = Object.fromEntries(span.tags.map((t) => [t.key, t.value]));
      return {
        spanID: span.spanID,
        parentSpanID: span.references.find((r) => r.refType === 'CHILD_OF')?.spanID,
        operationName: span.operationName,
        service: trace.processes[span.processID]?.serviceName ?? 'unknown',
        kind: typeof tags['span.kind'] === 'string' ? tags['span.kind'] : undefined,
        tags,
      };
    }),
  );
}

/** One sample of a Prometheus text exposition. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (what `/metrics` serves) into samples. */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Scrapes a service's `/metrics`. */
export async function scrapeMetrics(serviceUrl: string): Promise<MetricSample[]> {
  const response = await fetch(new URL('/metrics', serviceUrl));
  if (!response.ok) throw new Error(`${serviceUrl}/metrics answered ${response.status}`);
  return parseMetrics(await response.text());
}

/** The sum of the samples named `name` whose labels include `labels` (0 when none). */
export function metricValue(samples: readonly MetricSample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
