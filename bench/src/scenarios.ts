import { nowMs, sleep } from './clock.ts';
import { driveSignups, type SentSignup } from './load/open-loop.driver.ts';
import type { SlackSinkView, SmtpSinkView } from './sinks/sink-host.ts';
import { summarize, type Summary } from './stats/percentiles.ts';
import type { SystemUnderTest } from './systems/system.ts';

/** The bench's sinks, shared by both systems. */
export interface Sinks {
  smtp: SmtpSinkView;
  slack: SlackSinkView;
}

/** A step is sustained when nothing failed or got lost and no channel's p99 exceeded this. */
export const SUSTAINED_P99_MS = 2000;

/** One fixed-rate step of signups, measured from the api to the sinks. */
export interface RateStep {
  rate: number;
  durationS: number;
  sent: number;
  accepted: number;
  errors: number;
  api: Summary;
  /** Signup (scheduled send time) to the welcome email accepted by the SMTP sink. */
  welcome: Summary;
  /** Signup to the Slack message received by the Slack sink. */
  slack: Summary;
  /** Follow-up accepted − (welcome accepted + follow-up delay): lateness within the flow. */
  followUpLateness: Summary;
  lost: { welcome: number; slack: number; followUp: number };
  duplicates: number;
  /** Achieved arrival rate of the api's 201s over the step (signups/s). */
  achievedRate: number;
  sustained: boolean;
}

const addressOf = (s: SentSignup): string => s.email.toLowerCase();

/** Waits until `done()` or the deadline; returns whether it got done. */
async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = nowMs() + timeoutMs;
  while (!done()) {
    if (nowMs() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Drives one rate and waits for every accepted signup's welcome, Slack message and follow-up. */
export async function runRateStep(
  system: SystemUnderTest,
  sinks: Sinks,
  options: { rate: number; durationMs: number; prefix: string; followUpDelayMs: number; settleMs: number },
): Promise<RateStep> {
  const sent = await driveSignups({ apiUrl: system.apiUrl, headers: system.signupHeaders(), rate: options.rate, durationMs: options.durationMs, prefix: options.prefix, firstNumber: 0 });
  const accepted = sent.filter((s) => s.status === 201);
  const complete = (): boolean =>
    accepted.every((s) => {
      const mail = sinks.smtp.arrivals.get(addressOf(s));
      return mail?.welcome !== undefined && mail.followUp !== undefined && sinks.slack.arrivals.get(addressOf(s))?.delivered !== undefined;
    });
  await waitFor(complete, options.followUpDelayMs + options.settleMs);
  const welcome: number[] = [];
  const slack: number[] = [];
  const followUp: number[] = [];
  const lost = { welcome: 0, slack: 0, followUp: 0 };
  let duplicates = 0;
  for (const s of accepted) {
    const mail = sinks.smtp.arrivals.get(addressOf(s));
    const post = sinks.slack.arrivals.get(addressOf(s));
    if (mail?.welcome === undefined) lost.welcome += 1;
    else welcome.push(mail.welcome - s.scheduledAt);
    if (post?.delivered === undefined) lost.slack += 1;
    else slack.push(post.delivered - s.scheduledAt);
    if (mail?.followUp === undefined) lost.followUp += 1;
    else if (mail.welcome !== undefined) followUp.push(mail.followUp - mail.welcome - options.followUpDelayMs);
    duplicates += mail?.duplicates ?? 0;
  }
  const step: RateStep = {
    rate: options.rate,
    durationS: options.durationMs / 1000,
    sent: sent.length,
    accepted: accepted.length,
    errors: sent.length - accepted.length,
    api: summarize(sent.map((s) => s.latencyMs)),
    welcome: summarize(welcome),
    slack: summarize(slack),
    followUpLateness: summarize(followUp),
    lost,
    duplicates,
    achievedRate: accepted.length / (options.durationMs / 1000),
    sustained: false,
  };
  step.sustained =
    step.errors === 0 &&
    lost.welcome + lost.slack + lost.followUp === 0 &&
    step.welcome.p99 <= SUSTAINED_P99_MS &&
    step.slack.p99 <= SUSTAINED_P99_MS &&
    step.followUpLateness.p99 <= SUSTAINED_P99_MS;
  return step;
}

/** Retry delays observed at the Slack sink against the policy (1 s, then ×2). */
export interface RetryAccuracy {
  signups: number;
  /** Observed minus expected delay before each retry, ms. */
  error: Summary;
  observed: { retry: number; expectedMs: number; observed: Summary }[];
}

/** Signups whose Slack message fails twice with 503 before it is accepted. */
export async function runRetryAccuracy(system: SystemUnderTest, sinks: Sinks, prefix: string, count: number): Promise<RetryAccuracy> {
  const sent = await driveSignups({ apiUrl: system.apiUrl, headers: system.signupHeaders(), rate: 10, durationMs: (count / 10) * 1000, prefix, firstNumber: 0 });
  const accepted = sent.filter((s) => s.status === 201);
  await waitFor(() => accepted.every((s) => sinks.slack.arrivals.get(addressOf(s))?.delivered !== undefined), 30_000);
  const expected = [1000, 2000];
  const gaps: number[][] = expected.map(() => []);
  for (const s of accepted) {
    const attempts = sinks.slack.arrivals.get(addressOf(s))?.attempts ?? [];
    for (let i = 0; i < expected.length && i + 1 < attempts.length; i += 1) gaps[i]?.push((attempts[i + 1] as number) - (attempts[i] as number));
  }
  return {
    signups: accepted.length,
    error: summarize(gaps.flatMap((g, i) => g.map((v) => v - (expected[i] as number)))),
    observed: expected.map((expectedMs, i) => ({ retry: i + 1, expectedMs, observed: summarize(gaps[i] ?? []) })),
  };
}

/** Lateness of follow-ups that all fall due at once, at the SMTP sink. */
export interface DueTogether {
  count: number;
  delivered: number;
  atSink: Summary;
}

export async function runDueTogether(system: SystemUnderTest, sinks: Sinks, prefix: string, count: number): Promise<DueTogether> {
  const items = Array.from({ length: count }, (_, i) => ({ email: `${prefix}-${i}@bench.test`, username: `${prefix}-${i}` }));
  const dueAt = nowMs() + 3000;
  await system.scheduleFollowUps(items, dueAt);
  await waitFor(() => items.every((it) => sinks.smtp.arrivals.get(it.email)?.followUp !== undefined), 60_000);
  const lateness = items.flatMap((it) => {
    const at = sinks.smtp.arrivals.get(it.email)?.followUp;
    return at === undefined ? [] : [at - dueAt];
  });
  return { count, delivered: lateness.length, atSink: summarize(lateness) };
}

/** How fast a backlog of delayed messages, all due at once, leaves the scheduler. */
export interface Drain {
  count: number;
  seconds: number;
  perSecond: number;
  /** How long handing the rows over took; past the lead, the drain started before they were all in. */
  handOverSeconds: number;
}

/**
 * The rows fall due `leadMs` after their hand-over starts; when handing them over takes longer,
 * the rate is NaN (those due before the last was in left uncounted).
 */
export async function runDrain(system: SystemUnderTest, count: number, leadMs: number): Promise<Drain> {
  const startedAt = nowMs();
  const dueAt = startedAt + leadMs;
  const { insertedAt, lastLeftAt } = await system.drain(count, dueAt);
  const seconds = (lastLeftAt - Math.max(dueAt, insertedAt)) / 1000;
  // Rows that fell due before the last was handed over were leaving uncounted: no rate then.
  const perSecond = insertedAt > dueAt ? Number.NaN : count / seconds;
  return { count, seconds, perSecond, handOverSeconds: (insertedAt - startedAt) / 1000 };
}
