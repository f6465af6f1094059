import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, with ±20 % jitter', () => {
    const mid = () => 0.5;
    expect(
      [1, 2, 3, 4, 10].map((n) => backoffDelay(n, { initialMs: 500, maxMs: 3000 }, mid)),
    ).toEqual([500, 1000, 2000, 3000, 3000]);
    expect(backoffDelay(1, { initialMs: 1000 }, () => 0)).toBe(800);
    expect(backoffDelay(1, { initialMs: 1000 }, () => 1)).toBe(1200);
  });
});
