import { parseIsoDuration } from './duration';

describe('parseIsoDuration', () => {
  it.each([
    ['P3D', 3 * 86_400_000],
    ['PT3S', 3000],
    ['PT0.5S', 500],
    ['PT1H30M', 5_400_000],
    ['P1W', 604_800_000],
    ['P1DT1S', 86_401_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each(['', 'P', 'PT', '3D', 'P1Y', 'P1M', 'PT-1S', 'P3D '.repeat(2)])('refuses %j', (text) => {
    expect(() => parseIsoDuration(text)).toThrow(RangeError);
  });
});
