import { readEnv as readGiven, weakAdminToken } from './env';

/** The database URL the api requires; each test adds what it is about. */
const readEnv = (source: NodeJS.ProcessEnv) => readGiven({ DATABASE_URL: 'postgres://herald:pw@db:5432/herald', ...source });

describe('weakAdminToken', () => {
  it.each([
    ['', 'is not set'],
    ['change-me', 'is a known default'],
    ['CHANGE-ME', 'is a known default'],
    ['short-token', 'is shorter than 32 characters'],
    ['a'.repeat(40), 'has fewer than 8 different characters'],
    ['abababababababababababababababababab', 'has fewer than 8 different characters'],
  ])('refuses %j: it %s', (token, reason) => {
    expect(weakAdminToken(token)).toBe(reason);
  });

  it('accepts a random secret of 32 characters or more', () => {
    expect(weakAdminToken('9f86d081884c7d659a2feaa0c55ad015')).toBeUndefined();
  });
});

describe('readEnv', () => {
  it('stops without an admin token, naming the variable and how to make one, never defaulting it', () => {
    expect(() => readEnv({})).toThrow(/^invalid configuration: ADMIN_TOKEN is not set: set it to a random secret of at least 32 characters, such as the output of `openssl rand -hex 32`$/);
  });

  it('reads a strong admin token as it is', () => {
    const token = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
    expect(readEnv({ ADMIN_TOKEN: token }).ADMIN_TOKEN).toBe(token);
  });
});
