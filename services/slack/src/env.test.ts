import { ConfigError } from '@herald/config';
import { readEnv as readGiven } from './env';

/** What the service requires, with no default: the test of each variable adds its own. */
const REQUIRED = {
  DATABASE_URL: 'postgres://herald:pw@db:5432/herald',
  SLACK_SIGNUPS_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/signups',
  SLACK_ALERTS_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/alerts',
};
const readEnv = (source: NodeJS.ProcessEnv) => readGiven({ ...REQUIRED, ...source });

describe('readEnv', () => {
  it('fetches at most every 200 ms unless told otherwise', () => {
    expect(readEnv({}).FETCH_PACE_MS).toBe(200);
    expect(readEnv({ FETCH_PACE_MS: '50' }).FETCH_PACE_MS).toBe(50);
  });

  it.each(['5', '60000', 'fast'])('refuses FETCH_PACE_MS=%s before anything connects', (pace) => {
    expect(() => readEnv({ FETCH_PACE_MS: pace })).toThrow(ConfigError);
    expect(() => readEnv({ FETCH_PACE_MS: pace })).toThrow(/FETCH_PACE_MS/);
  });

  it('stops without a webhook URL, and never prints one it refuses', () => {
    expect(() => readGiven({ DATABASE_URL: REQUIRED.DATABASE_URL })).toThrow(
      /^invalid configuration: SLACK_SIGNUPS_WEBHOOK_URL is not set: set it to the incoming-webhook URL of the Slack channel for signups; there is no default; SLACK_ALERTS_WEBHOOK_URL is not set: .*for alerts; there is no default$/,
    );
    const leaked = 'hooks.slack.com/services/T0/B0/XyZ-secret';
    expect(() => readEnv({ SLACK_ALERTS_WEBHOOK_URL: leaked })).toThrow(/^invalid configuration: SLACK_ALERTS_WEBHOOK_URL is set: /);
    expect(() => readEnv({ SLACK_ALERTS_WEBHOOK_URL: leaked })).not.toThrow(/XyZ-secret/);
  });
});
