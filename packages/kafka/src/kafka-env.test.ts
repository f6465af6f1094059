import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { ConfigError, loadEnv } from '@herald/config';
import { KafkaEnvSchema, kafkaConnection, type KafkaConnection } from './kafka-env';

const PASSWORD = 'pa55-w0rd-nobody-may-see';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function read(source: NodeJS.ProcessEnv): KafkaConnection {
  return kafkaConnection(loadEnv(Type.Object(KafkaEnvSchema), source));
}

/** The ConfigError `read` throws; fails the test when it returns. */
function refusal(source: NodeJS.ProcessEnv): string {
  try {
    read(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('the configuration was accepted');
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-env-'));
  fs.writeFileSync(path.join(dir, 'ca.pem'), PEM);
  fs.writeFileSync(path.join(dir, 'not-a-cert.txt'), 'hello');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('kafkaConnection', () => {
  it('connects without TLS or SASL when nothing is set', () => {
    expect(read({})).toEqual({ brokers: ['127.0.0.1:9092'], security: {} });
  });

  it.each(['scram-sha-256', 'scram-sha-512', 'SCRAM-SHA-512'])('logs in with %s', (mechanism) => {
    const { security } = read({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'herald', KAFKA_SASL_PASSWORD: PASSWORD });
    expect(security).toEqual({ sasl: { mechanism: mechanism.toLowerCase(), username: 'herald', password: PASSWORD } });
  });

  it('uses TLS with the system CAs, or with the CA file given', () => {
    expect(read({ KAFKA_TLS: 'true' }).security).toEqual({ ssl: true });
    const caFile = path.join(dir, 'ca.pem');
    expect(read({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: caFile }).security).toEqual({ ssl: { ca: [PEM] } });
  });

  it('accepts PLAIN over TLS only', () => {
    const plain = { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'herald', KAFKA_SASL_PASSWORD: PASSWORD };
    expect(read({ ...plain, KAFKA_TLS: 'true' }).security).toEqual({ ssl: true, sasl: { mechanism: 'plain', username: 'herald', password: PASSWORD } });
    expect(refusal(plain)).toContain('KAFKA_SASL_MECHANISM is "plain": PLAIN sends the password as it is, so it needs KAFKA_TLS=true');
  });

  it.each([
    ['a mechanism without a user name', { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_PASSWORD: PASSWORD }, 'KAFKA_SASL_USERNAME is not set: KAFKA_SASL_MECHANISM=scram-sha-256 needs it'],
    ['a mechanism without a password', { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'herald' }, 'KAFKA_SASL_PASSWORD is not set: KAFKA_SASL_MECHANISM=scram-sha-256 needs it'],
    ['an empty password', { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'herald', KAFKA_SASL_PASSWORD: '' }, 'KAFKA_SASL_PASSWORD is not set'],
    ['a blank password', { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'herald', KAFKA_SASL_PASSWORD: '   ' }, 'KAFKA_SASL_PASSWORD is not set'],
    ['credentials without a mechanism', { KAFKA_SASL_USERNAME: 'herald', KAFKA_SASL_PASSWORD: PASSWORD }, 'KAFKA_SASL_MECHANISM is not set but KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are'],
    ['an unknown mechanism', { KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'herald', KAFKA_SASL_PASSWORD: PASSWORD }, 'KAFKA_SASL_MECHANISM is "gssapi": must be one of scram-sha-256, scram-sha-512, plain'],
    ['a CA file without TLS', { KAFKA_TLS_CA_FILE: '/etc/ssl/ca.pem' }, 'KAFKA_TLS_CA_FILE is set but KAFKA_TLS is not true'],
    ['a CA file that is not there', { KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/nonexistent/ca.pem' }, 'KAFKA_TLS_CA_FILE is "/nonexistent/ca.pem": cannot be read (ENOENT)'],
    ['a broker list that is not host:port', { KAFKA_BROKERS: 'kafka' }, 'KAFKA_BROKERS is "kafka": "kafka" is not a Kafka broker address of the form host:port'],
  ])('refuses %s, naming the variable, in one line without the password', (_case, source, problem) => {
    const message = refusal(source);
    expect(message).toContain(problem);
    expect(message).not.toContain(PASSWORD);
    expect(message).not.toContain('\n');
  });

  it('refuses a CA file that holds no certificate', () => {
    const caFile = path.join(dir, 'not-a-cert.txt');
    expect(refusal({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: caFile })).toContain(`KAFKA_TLS_CA_FILE is "${caFile}": holds no PEM certificate`);
  });

  it('names every bad variable at once', () => {
    const message = refusal({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_TLS_CA_FILE: '/ca.pem' });
    expect(message).toContain('KAFKA_SASL_USERNAME is not set');
    expect(message).toContain('KAFKA_SASL_PASSWORD is not set');
    expect(message).toContain('KAFKA_TLS_CA_FILE is set but KAFKA_TLS is not true');
  });
});
