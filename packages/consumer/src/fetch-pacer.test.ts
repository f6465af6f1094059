import { FetchPacer, IDLE_FETCH_WAIT_MS, pacedFetches } from './fetch-pacer';

describe('FetchPacer', () => {
  let now = 0;
  const pacer = (): FetchPacer => new FetchPacer(50, () => now);

  beforeEach(() => {
    now = 1000;
  });

  it('holds the next fetch until the pace has passed since the last one started', () => {
    const p = pacer();
    p.fetchStarted();
    now += 2; // the broker answered at once: a message was waiting
    expect(p.holdMs()).toBe(48);
    now += 48;
    expect(p.holdMs()).toBe(0);
  });

  it('holds nothing after a fetch that waited longer than the pace for its first message', () => {
    const p = pacer();
    p.fetchStarted();
    now += 180;
    expect(p.holdMs()).toBe(0);
  });

  it('counts from the latest fetch started, whichever broker it went to', () => {
    const p = pacer();
    p.fetchStarted();
    now += 30;
    p.fetchStarted();
    now += 10;
    expect(p.holdMs()).toBe(40);
  });

  it('holds nothing before any fetch', () => {
    expect(pacer().holdMs()).toBe(0);
  });
});

describe('pacedFetches', () => {
  it('answers at the first message, an idle fetch after IDLE_FETCH_WAIT_MS', () => {
    expect(pacedFetches(50)).toEqual({ minBytes: 1, maxWaitTimeInMs: IDLE_FETCH_WAIT_MS });
  });

  it('lets an idle fetch wait as long as a slower pace', () => {
    expect(pacedFetches(500)).toEqual({ minBytes: 1, maxWaitTimeInMs: 500 });
  });
});
