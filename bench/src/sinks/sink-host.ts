import { Worker } from 'node:worker_threads';
import type { SlackArrival, SlackOutage } from './slack.sink.ts';
import type { Arrivals } from './smtp.sink.ts';

type SinkRequest =
  | { type: 'smtp-stop' }
  | { type: 'smtp-start'; port: number }
  | { type: 'slack-outage'; outage: SlackOutage | undefined }
  | { type: 'stop' };

/** What the harness asks of the sinks' thread; `done` with the same id answers it. */
export type SinkCommand = SinkRequest & { id: number };

/** What the sinks' thread tells the harness. */
export type SinkEvent =
  | { type: 'ready'; smtpPort: number; slackPort: number }
  | { type: 'arrivals'; smtp: [string, Arrivals][]; slack: [string, SlackArrival][] }
  | { type: 'done'; id: number };

/** The counting SMTP server as the harness sees it: what arrived for each recipient. */
export interface SmtpSinkView {
  readonly arrivals: ReadonlyMap<string, Arrivals>;
  readonly port: number;
  readonly url: string;
  /** Takes the server down, cutting its connections (an outage). */
  stop(): Promise<void>;
  /** Brings it back on `port`. */
  start(port: number): Promise<void>;
}

/** The counting Slack webhook as the harness sees it. */
export interface SlackSinkView {
  readonly arrivals: ReadonlyMap<string, SlackArrival>;
  readonly webhookUrl: string;
  /** While set, every post is refused with it. */
  outage: SlackOutage | undefined;
}

/**
 * Starts the SMTP and Slack sinks on a worker thread (sinks.worker.ts) and mirrors what they
 * record: the sinks answer on their own event loop, and the harness reads their counts here, a
 * turn of the worker's loop behind at most.
 */
export async function startSinks(): Promise<{ smtp: SmtpSinkView; slack: SlackSinkView; stop: () => Promise<void> }> {
  const worker = new Worker(new URL('./sinks.worker.ts', import.meta.url));
  const mail = new Map<string, Arrivals>();
  const posts = new Map<string, SlackArrival>();
  const waiting = new Map<number, () => void>();
  let next = 0;
  const ask = (command: SinkRequest): Promise<void> =>
    new Promise((resolve) => {
      const id = (next += 1);
      waiting.set(id, resolve);
      worker.postMessage({ ...command, id });
    });
  const ready = new Promise<{ smtpPort: number; slackPort: number }>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (event: SinkEvent) => {
      if (event.type === 'ready') resolve(event);
      else if (event.type === 'arrivals') {
        for (const [address, entry] of event.smtp) mail.set(address, entry);
        for (const [email, entry] of event.slack) posts.set(email, entry);
      } else {
        waiting.get(event.id)?.();
        waiting.delete(event.id);
      }
    });
  });
  const { smtpPort, slackPort } = await ready;
  let outage: SlackOutage | undefined;
  const smtp: SmtpSinkView = {
    arrivals: mail,
    port: smtpPort,
    url: `smtp://127.0.0.1:${smtpPort}`,
    stop: () => ask({ type: 'smtp-stop' }),
    start: (port) => ask({ type: 'smtp-start', port }),
  };
  const slack: SlackSinkView = {
    arrivals: posts,
    webhookUrl: `http://127.0.0.1:${slackPort}/services/T000/B000/signups`,
    get outage() {
      return outage;
    },
    set outage(value) {
      outage = value;
      void ask({ type: 'slack-outage', outage: value });
    },
  };
  return {
    smtp,
    slack,
    stop: async () => {
      await ask({ type: 'stop' });
      await worker.terminate();
    },
  };
}
