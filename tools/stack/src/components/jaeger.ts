import path from 'node:path';
import { processComponent, type Component } from '../component.ts';
import { endpoints } from '../endpoints.ts';
import { dirs } from '../paths.ts';
import { httpOk } from '../proc.ts';
import { buildGoTool } from './go-tool.ts';

/** Jaeger v2: OTLP in (4317 gRPC, 4318 HTTP), traces in memory, UI and query API on 16686. */
export function jaegerComponent(): Component {
  let binary = '';
  return processComponent({
    name: 'jaeger',
    kind: 'infrastructure',
    ports: [16686, 16685, 4317, 4318, 13133],
    urls: { 'Jaeger (traces)': endpoints.jaegerUrl, 'OTLP/HTTP': endpoints.otlpUrl },
    readyTimeoutMs: 30_000,
    async prepare() {
      binary = buildGoTool('jaeger', 'github.com/jaegertracing/jaeger/cmd/jaeger');
    },
    launch() {
      return { command: binary, args: ['--config', path.join(dirs.infra, 'jaeger/config.yaml')] };
    },
    ready: () => httpOk('http://127.0.0.1:13133/status'),
  });
}
