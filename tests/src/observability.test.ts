import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { EmailSentV2, UserCreatedV2 } from '@herald/contracts';
import { createKafka } from '@herald/kafka';
import {
  emailsTo,
  infrastructure,
  jaegerTrace,
  metricValue,
  newTraceparent,
  scrapeMetrics,
  slackFault,
  slackPosts,
  startService,
  uniqueName,
  waitFor,
  type MetricSample,
  type RunningService,
  type TracedSpan,
} from '@herald/testing';

// What an operator sees of one signup: one trace in Jaeger across the four services, log lines
// that carry its trace id, and /metrics counters that move with successes and failures.
const run = uniqueName('obs');
const slackPath = `/services/T000/B000/${run}`;
const groups = { email: `${run}-email`, slack: `${run}-slack`, scheduler: `${run}-scheduler` };
let api: RunningService;
let email: RunningService;
let slack: RunningService;
let scheduler: RunningService;

// Spans leave each service within 200 ms instead of the default 5 s.
const tracing = { OTEL_BSP_SCHEDULE_DELAY: '200' };

/** The header of a request with the api's admin credential. */
const asAdmin = () => ({ authorization: `Bearer ${api.env.ADMIN_TOKEN ?? ''}` });

async function signUp(headers: Record<string, string> = {}): Promise<{ id: string; email: string; username: string }> {
  const id = randomUUID().slice(0, 8);
  const body = { email: `${run}-${id}@example.com`, username: `o${id}`, full_name: 'Ada Lovelace' };
  const response = await fetch(`${api.url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...asAdmin(), ...headers },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return { id: ((await response.json()) as { id: string }).id, email: body.email, username: body.username };
}

beforeAll(async () => {
  [api, email, slack, scheduler] = await Promise.all([
    startService('api', tracing),
    startService('email', { ...tracing, CONSUMER_GROUP: groups.email }),
    startService('slack', {
      ...tracing,
      CONSUMER_GROUP: groups.slack,
      SLACK_SIGNUPS_WEBHOOK_URL: `${infrastructure().slackSinkUrl}${slackPath}`,
      // Quick retries, so that the forced failure below is retried within the test.
      RETRY_POLICY: JSON.stringify({ initialInterval: 'PT0.2S', maximumInterval: 'PT1S' }),
    }),
    startService('scheduler', { ...tracing, CONSUMER_GROUP: groups.scheduler, FOLLOW_UP_DELAY: 'PT2S', DISPATCH_MAX_IDLE_MS: '1000' }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([api, email, slack, scheduler].map((s) => s?.stop()));
});

describe('one signup, one trace', () => {
  const { traceId, traceparent } = newTraceparent();
  let spans: TracedSpan[] = [];
  const named = (service: string, operation: string): TracedSpan[] =>
    spans.filter((s) => s.service === service && s.operationName === operation);

  let userId = '';

  beforeAll(async () => {
    const user = await signUp({ traceparent });
    userId = user.id;
    await waitFor(async () => (await emailsTo(user.email)).some((m) => m.Subject === 'How are you finding our platform?'), {
      timeoutMs: 30_000,
      description: 'the follow-up email',
    });
    // Everything up to the follow-up email's own send, exported by all four services.
    spans = await waitFor(
      async () => {
        const found = await jaegerTrace(traceId);
        const smtpSends = found.filter((s) => s.service === 'herald-email' && s.operationName === 'smtp send');
        const followUp = found.some((s) => s.service === 'herald-email' && s.operationName === 'process follow-up.requested.v2');
        // Both emails' email.sent.v2 reach the scheduler; the follow-up's comes last.
        const emailsSent = found.filter((s) => s.service === 'herald-scheduler' && s.operationName === 'process email.sent.v2');
        return smtpSends.length >= 2 && followUp && emailsSent.length >= 2 && found.some((s) => s.service === 'herald-slack') && found;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: `trace ${traceId} in Jaeger with the follow-up email` },
    );
  }, 60_000);

  it('has spans of the api, email, slack and scheduler, and the Kafka sends and consumes between them', () => {
    expect(new Set(spans.map((s) => s.service))).toEqual(
      new Set(['herald-api', 'herald-email', 'herald-slack', 'herald-scheduler']),
    );
    expect(named('herald-api', 'POST /api/v1/users')).toHaveLength(1);
    expect(named('herald-api', 'send user.created.v2')[0]?.kind).toBe('producer');
    expect(named('herald-email', 'process user.created.v2')[0]?.kind).toBe('consumer');
    expect(named('herald-slack', 'process user.created.v2')[0]?.kind).toBe('consumer');
    expect(named('herald-slack', 'POST').length).toBeGreaterThanOrEqual(1); // undici, to the webhook
    expect(named('herald-email', 'send email.sent.v2').length).toBeGreaterThanOrEqual(1);
    // Both emails announce themselves; only the welcome email's schedules a follow-up.
    expect(named('herald-scheduler', 'process email.sent.v2')).toHaveLength(2);
    expect(named('herald-scheduler', 'schedule follow-up')).toHaveLength(1);
    expect(named('herald-scheduler', 'dispatch follow-up.requested.v2')).toHaveLength(1);
    expect(named('herald-email', 'process follow-up.requested.v2')).toHaveLength(1);
  });

  it('holds no Slack webhook URL (a secret: its path is the credential) in any span', () => {
    const post = named('herald-slack', 'POST')[0];
    expect(post?.tags['url.full']).toBe(`${infrastructure().slackSinkUrl}/[redacted]`);
    expect(JSON.stringify(spans)).not.toContain(slackPath);
  });

  it('links every step to the one before it: request → send → process → send → … → follow-up email', () => {
    const byId = new Map(spans.map((s) => [s.spanID, s]));
    const parentOf = (span: TracedSpan | undefined): TracedSpan | undefined =>
      span?.parentSpanID ? byId.get(span.parentSpanID) : undefined;
    // Walk up from the follow-up email's SMTP send to the HTTP request.
    const followUpProcess = named('herald-email', 'process follow-up.requested.v2')[0];
    const followUpSmtp = spans.find((s) => s.operationName === 'smtp send' && parentOf(s) === followUpProcess);
    expect(followUpSmtp).toBeDefined();
    const chain: string[] = [];
    for (let span: TracedSpan | undefined = followUpSmtp; span; span = parentOf(span)) {
      chain.unshift(`${span.service}: ${span.operationName}`);
    }
    expect(chain).toEqual([
      'herald-api: POST /api/v1/users',
      'herald-api: send user.created.v2',
      'herald-email: process user.created.v2',
      'herald-email: send email.sent.v2',
      'herald-scheduler: process email.sent.v2',
      'herald-scheduler: schedule follow-up',
      'herald-scheduler: dispatch follow-up.requested.v2',
      'herald-scheduler: send follow-up.requested.v2',
      'herald-email: process follow-up.requested.v2',
      'herald-email: smtp send',
    ]);
    // No span hangs loose: each one's parent is in the trace, but the request's (the caller's).
    const loose = spans.filter((s) => s.parentSpanID && !byId.has(s.parentSpanID));
    expect(loose.map((s) => s.operationName)).toEqual(['POST /api/v1/users']);
  });

  it('puts the trace id on the timeline entries of the signup', async () => {
    type Entry = { channel: string; status: string; trace_id: string | null };
    // Welcome email, Slack message, follow-up email; the projection catches up on its own time.
    const sent = await waitFor(
      async () => {
        const response = await fetch(`${api.url}/api/v1/users/${userId}/notifications`, { headers: asAdmin() });
        const entries = ((await response.json()) as { notifications: Entry[] }).notifications;
        const found = entries.filter((e) => e.status === 'sent');
        return found.length >= 3 && found;
      },
      { timeoutMs: 10_000, description: 'three sent entries on the timeline' },
    );
    for (const entry of sent) expect(entry.trace_id).toBe(traceId);
  });

  it('writes the trace id Jaeger has on the log line of the handled event', () => {
    const lines = email
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const sent = lines.filter((l) => l.msg === 'email sent' && l.traceId === traceId);
    expect(sent).toHaveLength(2); // the welcome email and the follow-up
    const processSpans = new Set(
      spans.filter((s) => s.service === 'herald-email' && s.operationName.startsWith('process ')).map((s) => s.spanID),
    );
    for (const line of sent) {
      expect(typeof line.eventId).toBe('string');
      expect(processSpans.has(line.spanId as string)).toBe(true);
    }
  });
});

describe('/metrics on every service', () => {
  const kafka = createKafka({ clientId: run, brokers: infrastructure().kafkaBrokers });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  beforeAll(() => producer.connect());
  afterAll(() => producer.disconnect());

  const scrapeAll = async (): Promise<Record<'api' | 'email' | 'slack' | 'scheduler', MetricSample[]>> => {
    const [a, e, s, d] = await Promise.all([api, email, slack, scheduler].map((x) => scrapeMetrics(x.url)));
    return { api: a!, email: e!, slack: s!, scheduler: d! };
  };
  const handled = (samples: MetricSample[], group: string, outcome: string): number =>
    metricValue(samples, 'herald_handler_messages_total', { group, outcome });
  type Scrape = Awaited<ReturnType<typeof scrapeAll>>;
  /** How much a metric of a service grew between two scrapes. */
  const movedBetween =
    (before: Scrape, after: Scrape) =>
    (service: keyof Scrape, name: string, labels: Record<string, string> = {}): number =>
      metricValue(after[service], name, labels) - metricValue(before[service], name, labels);

  it('counts a signup in every service: published, handled, scheduled and dispatched', async () => {
    const before = await scrapeAll();
    const user = await signUp();
    await waitFor(async () => (await emailsTo(user.email)).some((m) => m.Subject === 'How are you finding our platform?'), {
      timeoutMs: 30_000,
      description: 'the follow-up email',
    });
    const after = await waitFor(
      async () => {
        const now = await scrapeAll();
        const emailsHandled = handled(now.email, groups.email, 'handled') >= handled(before.email, groups.email, 'handled') + 2;
        // The follow-up's email.sent reaches the scheduler after the email itself.
        const followUpSeen = handled(now.scheduler, groups.scheduler, 'ignored') >= handled(before.scheduler, groups.scheduler, 'ignored') + 1;
        return emailsHandled && followUpSeen && now;
      },
      { timeoutMs: 10_000, description: 'the email and scheduler counters to move' },
    );
    const moved = movedBetween(before, after);

    expect(moved('api', 'herald_http_requests_total', { route: '/api/v1/users', status_code: '201' })).toBe(1);
    expect(moved('api', 'herald_outbox_published_total', { topic: UserCreatedV2.name })).toBeGreaterThanOrEqual(1);
    expect(moved('api', 'herald_outbox_publish_delay_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(after.api.some((s) => s.name === 'herald_outbox_backlog')).toBe(true);
    // Welcome and follow-up email; the Slack announcement; the scheduled follow-up. The services
    // read the shared topics, so signups of tests running beside this one may add to the counts;
    // each handled message has its one duration all the same.
    const emailsHandled = moved('email', 'herald_handler_messages_total', { group: groups.email, outcome: 'handled' });
    expect(emailsHandled).toBeGreaterThanOrEqual(2);
    expect(moved('email', 'herald_handler_duration_seconds_count', { group: groups.email, outcome: 'handled' })).toBe(emailsHandled);
    expect(moved('slack', 'herald_handler_messages_total', { group: groups.slack, outcome: 'handled' })).toBeGreaterThanOrEqual(1);
    expect(moved('scheduler', 'herald_handler_messages_total', { group: groups.scheduler, outcome: 'handled' })).toBeGreaterThanOrEqual(1);
    // The follow-up's own email.sent has no follow-up: acknowledged as ignored, with no handler call
    // and no processed mark, and no duration observed.
    expect(moved('scheduler', 'herald_handler_messages_total', { group: groups.scheduler, outcome: 'ignored' })).toBeGreaterThanOrEqual(1);
    expect(moved('scheduler', 'herald_handler_duration_seconds_count', { group: groups.scheduler, outcome: 'ignored' })).toBe(0);
    expect(moved('scheduler', 'herald_scheduler_dispatched_total', { topic: 'follow-up.requested.v2' })).toBeGreaterThanOrEqual(1);
    expect(moved('scheduler', 'herald_scheduler_dispatch_lateness_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(after.scheduler.some((s) => s.name === 'herald_scheduler_pending')).toBe(true);
    for (const [service, group] of [['email', groups.email], ['slack', groups.slack], ['scheduler', groups.scheduler]] as const) {
      const lag = after[service].filter((s) => s.name === 'herald_consumer_lag' && s.labels.group === group);
      expect(lag.length).toBeGreaterThan(0);
      // Read ahead and not finished: what it is at the scrape (other tests' users pass through too).
      expect(after[service].some((s) => s.name === 'herald_consumer_in_progress' && s.labels.group === group)).toBe(true);
    }
  });

  it('counts failures: a 400, a Slack attempt retried, and messages that break their contract dead-lettered', async () => {
    const before = await scrapeAll();
    const bad = await fetch(`${api.url}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...asAdmin() },
      body: JSON.stringify({ email: 'not an email' }),
    });
    expect(bad.status).toBe(400);

    await slackFault({ path: slackPath, status: 503, times: 1 });
    const user = await signUp();
    await waitFor(async () => (await slackPosts(slackPath)).some((p) => p.text?.includes(user.username)), {
      timeoutMs: 30_000,
      description: 'the Slack message after one 503',
    });
    const broken = { key: randomUUID(), value: JSON.stringify({ not: 'an event' }) };
    await producer.send({ topic: UserCreatedV2.name, acks: -1, messages: [broken] });
    await producer.send({ topic: EmailSentV2.name, acks: -1, messages: [broken] });

    const after = await waitFor(
      async () => {
        const now = await scrapeAll();
        const done =
          handled(now.email, groups.email, 'dead_lettered') > handled(before.email, groups.email, 'dead_lettered') &&
          handled(now.slack, groups.slack, 'dead_lettered') > handled(before.slack, groups.slack, 'dead_lettered') &&
          handled(now.scheduler, groups.scheduler, 'dead_lettered') > handled(before.scheduler, groups.scheduler, 'dead_lettered');
        return done && now;
      },
      { timeoutMs: 20_000, description: 'the dead-letter counters to move' },
    );
    const moved = movedBetween(before, after);

    expect(moved('api', 'herald_http_requests_total', { route: '/api/v1/users', status_code: '400' })).toBe(1);
    expect(moved('slack', 'herald_handler_messages_total', { group: groups.slack, outcome: 'retried' })).toBe(1);
    expect(moved('slack', 'herald_handler_failures_total', { group: groups.slack, error_type: 'SLACK_UNAVAILABLE' })).toBe(1);
    expect(moved('slack', 'herald_handler_messages_total', { group: groups.slack, outcome: 'handled' })).toBe(1);
    for (const [service, group] of [['email', groups.email], ['slack', groups.slack], ['scheduler', groups.scheduler]] as const) {
      expect(moved(service, 'herald_handler_messages_total', { group, outcome: 'dead_lettered' })).toBe(1);
      expect(moved(service, 'herald_handler_failures_total', { group, error_type: 'CONTRACT_VIOLATION' })).toBe(1);
    }
  });
});
