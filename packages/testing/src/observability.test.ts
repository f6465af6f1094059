import { metricValue, parseMetrics } from './observability';

describe('parseMetrics', () => {
  const text = [
    '# HELP herald_handler_messages_total Messages',
    '# TYPE herald_handler_messages_total counter',
    'herald_handler_messages_total{group="g",handler="email.welcome",outcome="handled"} 3',
    'herald_handler_messages_total{group="g",handler="email.welcome",outcome="retried"} 2',
    'herald_handler_messages_total{group="h",handler="slack.signup",outcome="handled"} 5',
    'herald_outbox_backlog 0',
    'weird_label{path="/a\\"b"} 1.5e3',
  ].join('\n');

  it('reads names, labels and values, skipping comments', () => {
    const samples = parseMetrics(text);
    expect(samples).toHaveLength(5);
    expect(samples[0]).toEqual({
      name: 'herald_handler_messages_total',
      labels: { group: 'g', handler: 'email.welcome', outcome: 'handled' },
      value: 3,
    });
    expect(samples[4]).toEqual({ name: 'weird_label', labels: { path: '/a\\"b' }, value: 1500 });
  });

  it('sums the samples whose labels match', () => {
    const samples = parseMetrics(text);
    expect(metricValue(samples, 'herald_handler_messages_total', { group: 'g' })).toBe(5);
    expect(metricValue(samples, 'herald_handler_messages_total', { outcome: 'handled' })).toBe(8);
    expect(metricValue(samples, 'herald_outbox_backlog')).toBe(0);
    expect(metricValue(samples, 'missing')).toBe(0);
  });
});
