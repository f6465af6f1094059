import { propagation, trace, ROOT_CONTEXT, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { carriesTraceContext, contextFromHeaders, counter, registry, scrape, traceHeaders, traceIdFromHeaders } from './index';

describe('trace context in message headers', () => {
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());

  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('reads a traceparent given as a string, a Buffer or a list', () => {
    for (const value of [traceparent, Buffer.from(traceparent), [Buffer.from(traceparent)]]) {
      const span = trace.getSpanContext(contextFromHeaders({ traceparent: value }));
      expect(span).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', isRemote: true });
    }
  });

  it('tells headers with a trace context from headers without one', () => {
    expect(carriesTraceContext({ traceparent })).toBe(true);
    expect(carriesTraceContext({ 'herald-event-id': 'x' })).toBe(false);
    expect(carriesTraceContext({ traceparent: 'garbage' })).toBe(false);
  });

  it('reads the trace id of a traceparent without a propagator, and nothing from a bad or empty one', () => {
    propagation.disable();
    try {
      for (const value of [traceparent, Buffer.from(traceparent), [Buffer.from(traceparent)]]) {
        expect(traceIdFromHeaders({ traceparent: value })).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      }
      expect(traceIdFromHeaders({})).toBeUndefined();
      expect(traceIdFromHeaders({ traceparent: 'garbage' })).toBeUndefined();
      expect(traceIdFromHeaders({ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` })).toBeUndefined();
    } finally {
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    }
  });

  it('writes a context back as W3C headers, round trip', () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    });
    expect(traceHeaders(ctx)).toEqual({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(traceHeaders(contextFromHeaders({ traceparent }))).toEqual({ traceparent });
    expect(traceHeaders(ROOT_CONTEXT)).toEqual({});
  });
});

describe('metrics', () => {
  it('hands out one counter per name, so consumers built twice in a process share it', async () => {
    const first = counter({ name: 'herald_test_things_total', help: 'things', labelNames: ['kind'] });
    const second = counter({ name: 'herald_test_things_total', help: 'things', labelNames: ['kind'] });
    expect(second).toBe(first);
    first.inc({ kind: 'a' });
    second.inc({ kind: 'a' }, 2);
    const { contentType, body } = await scrape();
    expect(contentType).toMatch(/^text\/plain/);
    expect(body).toContain('herald_test_things_total{kind="a"} 3');
    expect(body).toContain('process_cpu_seconds_total'); // the default process metrics
    registry.removeSingleMetric('herald_test_things_total');
  });
});
