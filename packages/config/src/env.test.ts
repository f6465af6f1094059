import { Type } from '@sinclair/typebox';
import { databaseUrlField, loadEnv, secretField } from './env';
import { ConfigError } from './errors';

const Schema = Type.Object({
  PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 3000 }),
  KAFKA_BROKERS: Type.String({ minLength: 1, default: '127.0.0.1:9092' }),
  DEBUG: Type.Boolean({ default: false }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
});

describe('loadEnv', () => {
  it('converts strings, applies defaults and freezes the result', () => {
    const env = loadEnv(Schema, { PORT: '8080', DEBUG: 'true', DATABASE_URL: 'postgres://x/y' });
    expect(env).toEqual({
      PORT: 8080,
      KAFKA_BROKERS: '127.0.0.1:9092',
      DEBUG: true,
      DATABASE_URL: 'postgres://x/y',
    });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('names every bad or missing variable in one error', () => {
    let caught: unknown;
    try {
      loadEnv(Schema, { PORT: 'eighty', DATABASE_URL: undefined });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as ConfigError).message;
    expect(message).toContain('PORT is "eighty"');
    expect(message).toContain('DATABASE_URL is not set');
  });

  it('treats an empty variable as unset', () => {
    expect(loadEnv(Schema, { PORT: '', DATABASE_URL: 'postgresql://h/d' }).PORT).toBe(3000);
  });

  it('names a missing required variable with what it should hold', () => {
    expect(() => loadEnv(Type.Object({ DATABASE_URL: databaseUrlField() }), {})).toThrow(
      /^invalid configuration: DATABASE_URL is not set: set it to the PostgreSQL connection, postgres:\/\/user:password@host:5432\/database; there is no default$/,
    );
  });

  it('never prints the value of a secret variable it refuses', () => {
    const schema = Type.Object({ DATABASE_URL: databaseUrlField(), SMTP_URL: secretField(Type.String({ pattern: '^smtps?://' })) });
    let message = '';
    try {
      loadEnv(schema, { DATABASE_URL: 'mysql://herald:s3cr3t-pw@db/herald', SMTP_URL: 'smtp:/mailer:hunter22@mx' });
    } catch (error) {
      message = (error as ConfigError).message;
    }
    expect(message).toContain('DATABASE_URL is set: Expected string to match');
    expect(message).toContain('SMTP_URL is set: Expected string to match');
    expect(message).not.toMatch(/s3cr3t-pw|hunter22|mysql:|mailer/);
  });
});
