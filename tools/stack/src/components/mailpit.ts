import fs from 'node:fs';
import path from 'node:path';
import { processComponent, type Component } from '../component.ts';
import { endpoints } from '../endpoints.ts';
import { dirs } from '../paths.ts';
import { httpOk } from '../proc.ts';
import { buildGoTool } from './go-tool.ts';

/** Mailpit: the SMTP catcher (1025) with a web inbox and an API (8025). */
export function mailpitComponent(): Component {
  let binary = '';
  return processComponent({
    name: 'mailpit',
    kind: 'infrastructure',
    ports: [1025, 8025],
    urls: { 'Mailpit (inbox)': endpoints.mailpitUrl, 'SMTP': endpoints.smtpUrl },
    readyTimeoutMs: 30_000,
    async prepare() {
      binary = buildGoTool('mailpit', 'github.com/axllent/mailpit');
    },
    launch() {
      const data = path.join(dirs.data, 'mailpit');
      fs.mkdirSync(data, { recursive: true });
      return {
        command: binary,
        args: [
          '--smtp',
          '127.0.0.1:1025',
          '--listen',
          '127.0.0.1:8025',
          '--database',
          path.join(data, 'mailpit.db'),
          '--max',
          '100000',
          '--smtp-auth-accept-any',
          '--smtp-auth-allow-insecure',
          '--disable-version-check',
        ],
      };
    },
    ready: () => httpOk(`${endpoints.mailpitUrl}/readyz`),
  });
}
