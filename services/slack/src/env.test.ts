import { ConfigError } from '@herald/config';
import { readEnv } from './env';

describe('readEnv', () => {
  it('fetches at most every 200 ms unless told otherwise', () => {
    expect(readEnv({}).FETCH_PACE_MS).toBe(200);
    expect(readEnv({ FETCH_PACE_MS: '50' }).FETCH_PACE_MS).toBe(50);
  });

  it.each(['5', '60000', 'fast'])('refuses FETCH_PACE_MS=%s before anything connects', (pace) => {
    expect(() => readEnv({ FETCH_PACE_MS: pace })).toThrow(ConfigError);
    expect(() => readEnv({ FETCH_PACE_MS: pace })).toThrow(/FETCH_PACE_MS/);
  });
});
