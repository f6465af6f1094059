import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { nowMs } from '../clock.ts';

/** What the sink saw for one signup's Slack message. */
export interface SlackArrival {
  /** When the first successful post arrived (wall-clock ms). */
  delivered?: number;
  /** Every attempt, failed ones included. */
  attempts: number[];
  /** Posts answered 200: more than one is a duplicate. */
  posts: number;
}

/** A stretch in which every post is refused, as a rate-limited or failing Slack does. */
export interface SlackOutage {
  status: 429 | 503;
  /** Sent with a 429, in seconds. */
  retryAfterSeconds?: number;
}

/** The email address in Herald's "new signup" text: `... (username, email)`. */
export function emailOf(text: string): string | undefined {
  return /\(([^,()]+), ([^()\s]+@[^()\s]+)\)/.exec(text)?.[2]?.toLowerCase();
}

/**
 * A counting Slack incoming-webhook stand-in (plain node:http): answers 200 `ok`, records when each
 * signup's message came. Addresses starting with `failPrefix` are answered 503 for their first
 * `failAttempts` posts, to measure retry delays against the policy.
 */
export class SlackSink {
  readonly arrivals = new Map<string, SlackArrival>();
  received = 0;
  failPrefix = 'retry-';
  failAttempts = 2;
  /** While set, every post is refused with it. */
  outage: SlackOutage | undefined;
  /** Told of every change to an entry (the sinks' worker forwards them to the harness). */
  onChange: ((email: string, entry: SlackArrival) => void) | undefined;
  private server: http.Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
  }

  get webhookUrl(): string {
    return `http://127.0.0.1:${this.port}/services/T000/B000/signups`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = nowMs();
      this.received += 1;
      let email: string | undefined;
      try {
        const { text } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: unknown };
        email = typeof text === 'string' ? emailOf(text) : undefined;
      } catch {
        email = undefined;
      }
      if (email === undefined) {
        res.writeHead(400).end('invalid_payload');
        return;
      }
      let entry = this.arrivals.get(email);
      if (!entry) {
        entry = { attempts: [], posts: 0 };
        this.arrivals.set(email, entry);
      }
      entry.attempts.push(at);
      this.onChange?.(email, entry);
      if (this.outage) {
        const headers: Record<string, string> = { 'content-type': 'text/plain' };
        if (this.outage.status === 429) headers['retry-after'] = String(this.outage.retryAfterSeconds ?? 1);
        res.writeHead(this.outage.status, headers).end(this.outage.status === 429 ? 'rate_limited' : 'service_unavailable');
        return;
      }
      if (email.startsWith(this.failPrefix) && entry.attempts.length <= this.failAttempts) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('service_unavailable');
        return;
      }
      entry.delivered ??= at;
      entry.posts += 1;
      this.onChange?.(email, entry);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
