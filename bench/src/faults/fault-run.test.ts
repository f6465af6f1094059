import { missesOf, tally } from './fault-run.ts';
import { settleWindows } from './settle-window.ts';
import type { SentSignup } from '../load/open-loop.driver.ts';
import type { SlackArrival } from '../sinks/slack.sink.ts';
import type { Arrivals } from '../sinks/smtp.sink.ts';

const signup = (email: string, status: number, retryAfter?: string): SentSignup => ({ email, scheduledAt: 0, status, latencyMs: 1, ...(retryAfter ? { retryAfter } : {}) });

describe('tally', () => {
  const mail = new Map<string, Arrivals>([
    ['a@x', { welcome: 1, followUp: 2, duplicates: 2, welcomeDuplicates: 1 }],
    ['b@x', { welcome: 1, duplicates: 0, welcomeDuplicates: 0 }],
    ['c@x', { welcome: 1, followUp: 2, duplicates: 0, welcomeDuplicates: 0 }],
  ]);
  const slack = new Map<string, SlackArrival>([
    ['a@x', { delivered: 1, attempts: [1, 2, 3], posts: 2 }],
    ['b@x', { attempts: [1], posts: 0 }],
    ['c@x', { delivered: 1, attempts: [1], posts: 1 }],
  ]);

  it('counts every accepted signup once a channel, each copy beyond the first as a double', () => {
    const t = tally([signup('A@x', 201), signup('b@x', 201), signup('c@x', 0), signup('d@x', 503, '2')], mail, slack);
    expect(t).toMatchObject({
      sent: 4,
      accepted: 2,
      refused: { '0': 1, '503': 1 },
      refusedOtherwise: 1,
      delivered: { welcome: 2, slack: 1, followUp: 1 },
      lost: { welcome: 0, slack: 1, followUp: 1 },
      doubled: { welcome: 1, slack: 1, followUp: 1 },
      deliveredUnconfirmed: 1,
    });
  });

  it('holds a case to its targets', () => {
    const t = tally([signup('a@x', 201), signup('c@x', 201)], mail, slack);
    const inFlight = { doubledBeforeFaultMs: [3, 40, -20] };
    expect(missesOf({ kills: 0, keepsPids: false }, t, inFlight)).toEqual(['doubled 3']);
    expect(missesOf({ kills: 2, keepsPids: false }, t, inFlight)).toEqual([]);
    expect(missesOf({ kills: 1, keepsPids: false }, t, inFlight)).toEqual(['doubled 3, more than 2']);
    expect(missesOf({ kills: 1, keepsPids: false }, t, inFlight, false)).toEqual([]);
    expect(missesOf({ kills: 1, keepsPids: false }, t, { doubledBeforeFaultMs: [3, 900, 1200] }, false)).toEqual([
      '2 doubled were first accepted more than 250 ms before the kill',
    ]);
    expect(missesOf({ kills: 2, keepsPids: true }, t, { ...inFlight, pidsKept: false })).toEqual(['a Herald process exited or was replaced']);
    const lost = tally([signup('b@x', 201), signup('e@x', 503)], mail, slack);
    expect(missesOf({ kills: 0, keepsPids: true }, lost, { pidsKept: true, doubledBeforeFaultMs: [] })).toEqual(['lost 2', '1 refusals were not a 503 with Retry-After']);
  });
});

describe('settleWindows', () => {
  it('reads the buckets holding half and 99% of the observations, by group', () => {
    const text = [
      '# TYPE herald_consumer_settle_window_seconds histogram',
      'herald_consumer_settle_window_seconds_bucket{le="0.005",group="g"} 40',
      'herald_consumer_settle_window_seconds_bucket{le="0.01",group="g"} 90',
      'herald_consumer_settle_window_seconds_bucket{le="0.1",group="g"} 99',
      'herald_consumer_settle_window_seconds_bucket{le="+Inf",group="g"} 100',
      'herald_consumer_settle_window_seconds_count{group="g"} 100',
    ].join('\n');
    expect(settleWindows(text)).toEqual([{ group: 'g', count: 100, p50: 0.01, p99: 0.1 }]);
  });
});
