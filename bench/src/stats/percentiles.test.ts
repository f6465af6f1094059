import { quantile, summarize } from './percentiles.ts';

describe('quantile', () => {
  it('takes the nearest rank', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(hundred, 0.5)).toBe(50);
    expect(quantile(hundred, 0.99)).toBe(99);
    expect(quantile(hundred, 1)).toBe(100);
  });

  it('gives the one value of a single sample at any quantile', () => {
    expect(quantile([7], 0.01)).toBe(7);
    expect(quantile([7], 0.99)).toBe(7);
  });

  it('is NaN without values and refuses a quantile out of range', () => {
    expect(quantile([], 0.5)).toBeNaN();
    expect(() => quantile([1], 0)).toThrow(RangeError);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('sorts before it ranks', () => {
    expect(summarize([5, 1, 4, 2, 3])).toEqual({ count: 5, p50: 3, p99: 5, max: 5, mean: 3 });
  });

  it('keeps the tail: one slow value in a hundred is the p99', () => {
    const values = [...Array.from({ length: 99 }, () => 10), 1000];
    const s = summarize(values);
    expect(s.p50).toBe(10);
    expect(s.p99).toBe(10);
    expect(s.max).toBe(1000);
    expect(summarize([...values, 1000]).p99).toBe(1000);
  });

  it('reports NaN figures and a zero count for nothing', () => {
    const s = summarize([]);
    expect(s.count).toBe(0);
    expect(s.p50).toBeNaN();
    expect(s.max).toBeNaN();
  });
});
