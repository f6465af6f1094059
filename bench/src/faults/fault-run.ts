import { nowMs, sleep } from '../clock.ts';
import { driveSignups, type SentSignup } from '../load/open-loop.driver.ts';
import type { SlackArrival } from '../sinks/slack.sink.ts';
import type { Arrivals } from '../sinks/smtp.sink.ts';
import type { FaultCase, FaultContext } from './fault-cases.ts';
import { scrapeSettleWindows, type SettleWindow } from './settle-window.ts';

export interface FaultRunOptions {
  signups: number;
  rate: number;
  /** When, from the first signup, the fault is injected. */
  faultAtMs: number;
  /** How long after the load and the fault every channel may take to arrive. */
  deliveryTimeoutMs: number;
  /** How long to keep counting once everything arrived: a late copy is a double. */
  settleMs: number;
  /** Hold kills to at most 2 doubled each (the full suite's target at 100 signups/s). */
  killTarget: boolean;
}

type Channel = 'welcome' | 'slack' | 'followUp';
const CHANNELS: readonly Channel[] = ['welcome', 'slack', 'followUp'];

/** What reached the sinks for one case, counted per signup. */
export interface FaultTally {
  sent: number;
  /** Signups answered 201. */
  accepted: number;
  /** Answers other than 201, by status (0: no answer). */
  refused: Record<string, number>;
  /** Refusals that were not a 503 with Retry-After. */
  refusedOtherwise: number;
  /** Accepted signups that got each channel at least once. */
  delivered: Record<Channel, number>;
  /** Accepted signups that never got it. */
  lost: Record<Channel, number>;
  /** Copies beyond the first, over every signup sent. */
  doubled: Record<Channel, number>;
  /** Signups not answered 201 (the api died under them) that were delivered all the same. */
  deliveredUnconfirmed: number;
}

export interface FaultResult extends FaultTally {
  name: string;
  kills: number;
  /** For a fault outside Herald: did every process keep its pid and keep running? */
  pidsKept?: boolean;
  /** Why the case missed its targets; empty when it met them. */
  misses: string[];
  /** The email and Slack consumers' settle windows (since their last start). */
  settleWindows: SettleWindow[];
  /** For each doubled delivery, how long before the fault its first copy was accepted (ms). */
  doubledBeforeFaultMs: number[];
}

/** Counts what reached the sinks for every signup sent. */
export function tally(sent: readonly SentSignup[], mail: ReadonlyMap<string, Arrivals>, slack: ReadonlyMap<string, SlackArrival>): FaultTally {
  const result: FaultTally = {
    sent: sent.length,
    accepted: 0,
    refused: {},
    refusedOtherwise: 0,
    delivered: { welcome: 0, slack: 0, followUp: 0 },
    lost: { welcome: 0, slack: 0, followUp: 0 },
    doubled: { welcome: 0, slack: 0, followUp: 0 },
    deliveredUnconfirmed: 0,
  };
  for (const signup of sent) {
    const address = signup.email.toLowerCase();
    const m = mail.get(address);
    const s = slack.get(address);
    const got: Record<Channel, boolean> = { welcome: m?.welcome !== undefined, slack: (s?.posts ?? 0) > 0, followUp: m?.followUp !== undefined };
    result.doubled.welcome += m?.welcomeDuplicates ?? 0;
    result.doubled.followUp += (m?.duplicates ?? 0) - (m?.welcomeDuplicates ?? 0);
    result.doubled.slack += Math.max(0, (s?.posts ?? 0) - 1);
    if (signup.status === 201) {
      result.accepted += 1;
      for (const channel of CHANNELS) result[got[channel] ? 'delivered' : 'lost'][channel] += 1;
      continue;
    }
    result.refused[String(signup.status)] = (result.refused[String(signup.status)] ?? 0) + 1;
    if (!(signup.status === 503 && signup.retryAfter !== undefined)) result.refusedOtherwise += 1;
    if (CHANNELS.some((c) => got[c])) result.deliveredUnconfirmed += 1;
  }
  return result;
}

const sum = (counts: Record<Channel, number>): number => counts.welcome + counts.slack + counts.followUp;

/**
 * How long before a kill a doubled delivery's first copy may have been accepted: a request the
 * killed process had sent (or an outcome it had not yet written) when it died. A copy accepted
 * earlier means an outcome was not recorded in time, which is a fault of the runtime, whatever
 * the rate.
 */
export const IN_FLIGHT_HORIZON_MS = 250;

/**
 * The targets: nothing lost; nothing doubled but under a kill; a fault outside Herald leaves its
 * processes be and refuses signups only with 503 and Retry-After. Under a kill, every doubled
 * delivery must have been in flight when the process died (IN_FLIGHT_HORIZON_MS), and, where
 * `killTarget` holds (the full suite, at 100 signups/s), at most 2 a kill.
 */
export function missesOf(
  c: Pick<FaultCase, 'kills' | 'keepsPids'>,
  t: FaultTally,
  found: { pidsKept?: boolean; doubledBeforeFaultMs: readonly number[] },
  killTarget = true,
): string[] {
  const misses: string[] = [];
  const doubled = sum(t.doubled);
  if (t.accepted === 0) misses.push('no signup was accepted');
  if (sum(t.lost) > 0) misses.push(`lost ${sum(t.lost)}`);
  if (c.kills === 0 && doubled > 0) misses.push(`doubled ${doubled}`);
  if (c.kills > 0 && killTarget && doubled > 2 * c.kills) misses.push(`doubled ${doubled}, more than ${2 * c.kills}`);
  const early = found.doubledBeforeFaultMs.filter((ms) => ms > IN_FLIGHT_HORIZON_MS);
  if (c.kills > 0 && early.length > 0) misses.push(`${early.length} doubled were first accepted more than ${IN_FLIGHT_HORIZON_MS} ms before the kill`);
  if (c.keepsPids && found.pidsKept === false) misses.push('a Herald process exited or was replaced');
  if (c.keepsPids && t.refusedOtherwise > 0) misses.push(`${t.refusedOtherwise} refusals were not a 503 with Retry-After`);
  return misses;
}

/**
 * Runs one case against a started system: signups at a fixed rate, the fault injected mid-load,
 * then waits until every accepted signup has its welcome email, Slack message and follow-up (or
 * the timeout), and keeps counting a while for late copies.
 */
export async function runFault(c: FaultCase, ctx: FaultContext, options: FaultRunOptions, prefix: string): Promise<FaultResult> {
  const before = ctx.system.liveness();
  const load = driveSignups({
    apiUrl: ctx.system.apiUrl,
    headers: ctx.system.signupHeaders(),
    rate: options.rate,
    durationMs: (options.signups / options.rate) * 1000,
    prefix,
    firstNumber: 0,
  });
  await sleep(options.faultAtMs);
  const faultAt = nowMs();
  await c.inject(ctx);
  const sent = await load;
  const accepted = sent.filter((s) => s.status === 201).map((s) => s.email.toLowerCase());
  const complete = (): boolean =>
    accepted.every((a) => {
      const m = ctx.smtp.arrivals.get(a);
      return m?.welcome !== undefined && m.followUp !== undefined && (ctx.slack.arrivals.get(a)?.posts ?? 0) > 0;
    });
  const deadline = nowMs() + options.deliveryTimeoutMs;
  while (!complete() && nowMs() < deadline) await sleep(250);
  await sleep(options.settleMs);
  const after = ctx.system.liveness();
  const pidsKept = c.keepsPids ? Object.entries(before).every(([s, b]) => after[s]?.pid === b.pid && after[s]?.running === true) : undefined;
  const counted = tally(sent, ctx.smtp.arrivals, ctx.slack.arrivals);
  const settleWindows = [...(await scrapeSettleWindows(ctx.system.metricsUrl('email'))), ...(await scrapeSettleWindows(ctx.system.metricsUrl('slack')))];
  const doubledBeforeFaultMs = sent.flatMap(({ email }) => {
    const m = ctx.smtp.arrivals.get(email.toLowerCase());
    const s = ctx.slack.arrivals.get(email.toLowerCase());
    const firsts = [m && m.welcomeDuplicates > 0 ? m.welcome : undefined, m && m.duplicates > m.welcomeDuplicates ? m.followUp : undefined, s && s.posts > 1 ? s.delivered : undefined];
    return firsts.filter((t): t is number => t !== undefined).map((t) => Math.round(faultAt - t));
  });
  return {
    name: c.name,
    kills: c.kills,
    ...counted,
    ...(pidsKept === undefined ? {} : { pidsKept }),
    misses: missesOf(c, counted, { ...(pidsKept === undefined ? {} : { pidsKept }), doubledBeforeFaultMs }, options.killTarget),
    settleWindows,
    doubledBeforeFaultMs: doubledBeforeFaultMs.sort((a, b) => a - b),
  };
}
