import client, { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The registry `/metrics` serves: the process's default metrics (CPU, memory, event-loop lag,
 * GC) under `herald_process_*`/`nodejs_*`, and every Herald metric.
 */
export const registry = new Registry();
client.collectDefaultMetrics({ register: registry });

/** Seconds buckets for work that takes milliseconds to a few seconds. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Config<T extends string> = { name: string; help: string; labelNames?: readonly T[] };

function existing<M>(name: string): M | undefined {
  return registry.getSingleMetric(name) as M | undefined;
}

/**
 * A counter in the registry. Asking twice for the same name returns the same counter, so code
 * that builds several consumers in one process (tests do) shares it.
 */
export function counter<T extends string>(config: Config<T>): Counter<T> {
  return existing<Counter<T>>(config.name) ?? new Counter({ ...config, labelNames: config.labelNames ?? [], registers: [registry] });
}

/** A gauge in the registry; `collect` runs on every scrape, to read a current value. */
export function gauge<T extends string>(config: Config<T> & { collect?: (this: Gauge<T>) => void | Promise<void> }): Gauge<T> {
  return (
    existing<Gauge<T>>(config.name) ??
    new Gauge({ ...config, labelNames: config.labelNames ?? [], registers: [registry] })
  );
}

/** A histogram in the registry, in seconds unless the buckets say otherwise. */
export function histogram<T extends string>(config: Config<T> & { buckets?: number[] }): Histogram<T> {
  return (
    existing<Histogram<T>>(config.name) ??
    new Histogram({ buckets: DURATION_BUCKETS, ...config, labelNames: config.labelNames ?? [], registers: [registry] })
  );
}

/** The body and content type of a `GET /metrics` answer. */
export async function scrape(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
