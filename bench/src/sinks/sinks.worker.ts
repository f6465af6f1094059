// The SMTP and Slack sinks on a thread of their own, so that they answer at once however busy the
// harness's own event loop is (driving load, counting): an answer that waits there is time a
// request spends in flight, which is what a kill doubles. Every change to an entry goes to the
// harness, gathered within a turn of this thread's event loop.
import { parentPort } from 'node:worker_threads';
import { SlackSink, type SlackArrival } from './slack.sink.ts';
import { SmtpSink, type Arrivals } from './smtp.sink.ts';
import type { SinkCommand, SinkEvent } from './sink-host.ts';

const port = parentPort;
if (!port) throw new Error('sinks.worker.ts runs as a worker thread');

const smtp = new SmtpSink();
const slack = new SlackSink();
let mail = new Map<string, Arrivals>();
let posts = new Map<string, SlackArrival>();
let flushing = false;

function post(event: SinkEvent): void {
  port?.postMessage(event);
}

function flushSoon(): void {
  if (flushing) return;
  flushing = true;
  setImmediate(() => {
    flushing = false;
    post({ type: 'arrivals', smtp: [...mail], slack: [...posts] });
    mail = new Map();
    posts = new Map();
  });
}

smtp.onChange = (address, entry) => {
  mail.set(address, { ...entry });
  flushSoon();
};
slack.onChange = (email, entry) => {
  posts.set(email, { ...entry, attempts: [...entry.attempts] });
  flushSoon();
};

port.on('message', (command: SinkCommand) => {
  const done = (): void => post({ type: 'done', id: command.id });
  switch (command.type) {
    case 'smtp-stop':
      void smtp.stop().then(done);
      break;
    case 'smtp-start':
      void smtp.start(command.port).then(done);
      break;
    case 'slack-outage':
      slack.outage = command.outage;
      done();
      break;
    case 'stop':
      void Promise.all([smtp.stop(), slack.stop()]).then(done);
      break;
  }
});

await smtp.start();
await slack.start();
post({ type: 'ready', smtpPort: smtp.port, slackPort: slack.port });
