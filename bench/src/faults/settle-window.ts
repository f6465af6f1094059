/** One consumer group's settle window, from its service's herald_consumer_settle_window_seconds. */
export interface SettleWindow {
  group: string;
  count: number;
  /** The smallest bucket bound holding half, and 99%, of the observations (seconds). */
  p50: number;
  p99: number;
}

const BUCKET = /^herald_consumer_settle_window_seconds_bucket\{([^}]*)\} (\S+)$/;

/** Reads the histogram's buckets out of a Prometheus text exposition, one window a group. */
export function settleWindows(exposition: string): SettleWindow[] {
  const groups = new Map<string, { le: number; count: number }[]>();
  for (const line of exposition.split('\n')) {
    const match = BUCKET.exec(line);
    if (!match) continue;
    const labels = new Map<string, string>();
    for (const [, name, value] of (match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels.set(name ?? '', value ?? '');
    const group = labels.get('group') ?? '';
    const le = labels.get('le') === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.get('le'));
    groups.set(group, [...(groups.get(group) ?? []), { le, count: Number(match[2]) }]);
  }
  return [...groups].map(([group, buckets]) => {
    buckets.sort((a, b) => a.le - b.le);
    const count = buckets.at(-1)?.count ?? 0;
    const bound = (q: number): number => buckets.find((b) => b.count >= q * count)?.le ?? Number.POSITIVE_INFINITY;
    return { group, count, p50: bound(0.5), p99: bound(0.99) };
  });
}

/** The settle windows a running service reports on its /metrics; none when it does not answer. */
export async function scrapeSettleWindows(metricsUrl: string): Promise<SettleWindow[]> {
  try {
    const response = await fetch(metricsUrl);
    return response.ok ? settleWindows(await response.text()) : [];
  } catch {
    return [];
  }
}
