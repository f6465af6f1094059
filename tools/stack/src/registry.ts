import { StackError } from './errors.ts';
import type { Component } from './component.ts';
import { endpoints } from './endpoints.ts';
import { jaegerComponent } from './components/jaeger.ts';
import { kafkaComponent, SCRAM_BROKER } from './components/kafka.ts';
import { mailpitComponent } from './components/mailpit.ts';
import { nodeServiceComponent } from './components/node-service.ts';
import { postgresComponent } from './components/postgres.ts';
import { redisComponent } from './components/redis.ts';
import { temporalComponent } from './components/temporal.ts';

/** Every component, in start order (stop order is the reverse). */
export const components: readonly Component[] = [
  postgresComponent(),
  kafkaComponent(),
  mailpitComponent(),
  jaegerComponent(),
  nodeServiceComponent({
    name: 'slack-sink',
    dir: 'tools/slack-sink',
    port: 8026,
    kind: 'infrastructure',
    urls: { 'Slack stand-in': endpoints.slackSinkUrl },
    readyPath: '/healthz',
  }),
  nodeServiceComponent({
    name: 'api',
    dir: 'services/api',
    port: 3000,
    kind: 'service',
    urls: { 'API': endpoints.apiUrl, 'API docs': `${endpoints.apiUrl}/docs`, 'api metrics': `${endpoints.apiUrl}/metrics` },
  }),
  ...(['email', 'slack', 'scheduler'] as const).map((name, i) =>
    nodeServiceComponent({
      name,
      dir: `services/${name}`,
      port: 3001 + i,
      kind: 'service',
      urls: { [`${name} metrics`]: `http://127.0.0.1:${3001 + i}/metrics` },
    }),
  ),
  redisComponent(),
  temporalComponent(),
  kafkaComponent(SCRAM_BROKER),
];

export const infrastructure = components.filter((c) => c.kind === 'infrastructure');
export const services = components.filter((c) => c.kind === 'service');
/** What `npm start`, `up` and `status` without names cover: all but the `extra` components. */
export const standard = components.filter((c) => c.kind !== 'extra');

export function byName(name: string): Component {
  const found = components.find((c) => c.name === name);
  if (!found) {
    throw new StackError(`unknown component "${name}"; components: ${components.map((c) => c.name).join(', ')}`);
  }
  return found;
}

const NEEDS: Readonly<Record<string, readonly string[]>> = {
  api: ['postgres', 'kafka'],
  email: ['postgres', 'kafka', 'mailpit'],
  slack: ['postgres', 'kafka', 'slack-sink'],
  scheduler: ['postgres', 'kafka'],
};

/** What a component cannot start without. */
export function requirements(component: Component): Component[] {
  return (NEEDS[component.name] ?? []).map(byName);
}
