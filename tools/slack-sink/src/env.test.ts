import { EnvError, parseEnv } from './env';

describe('parseEnv', () => {
  it('defaults to 127.0.0.1:8026', () => {
    const env = parseEnv({ PORT: '' });
    expect(env).toEqual({ PORT: 8026, HOST: '127.0.0.1' });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('reads PORT and HOST', () => {
    expect(parseEnv({ PORT: '0', HOST: '0.0.0.0' })).toEqual({ PORT: 0, HOST: '0.0.0.0' });
  });

  it.each(['http', '-1', '65536', '80.5'])('names PORT when it is %j', (port) => {
    expect(() => parseEnv({ PORT: port })).toThrow(EnvError);
    expect(() => parseEnv({ PORT: port })).toThrow(`PORT is "${port}"`);
  });
});
