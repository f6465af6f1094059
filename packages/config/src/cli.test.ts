import { failureOf } from './cli';

describe('failureOf', () => {
  it("says a failed query's innermost cause, not the statement and its parameters", () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const query = new Error('Failed query: select * from api_keys where name = $1\nparams: shop-backend', { cause: refused });
    expect(failureOf(new Error('wrapped', { cause: query }))).toBe('connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('says an error without a cause as it is, and anything else as text', () => {
    expect(failureOf(new Error('no command'))).toBe('no command');
    expect(failureOf('gone')).toBe('gone');
  });
});
