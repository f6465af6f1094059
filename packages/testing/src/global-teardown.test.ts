import { TEST_GROUP_TOPIC } from './global-teardown';
import { uniqueName } from './names';

describe('the topics the global teardown deletes', () => {
  it("matches a test group's retry, redrive and dead-letter topics", () => {
    const group = uniqueName('test-email');
    for (const suffix of ['retry.200ms', 'retry.1s', 'retry.1m', 'redrive', 'dlq']) {
      expect(TEST_GROUP_TOPIC.test(`${group}.user.created.v1.${suffix}`)).toBe(true);
    }
    expect(TEST_GROUP_TOPIC.test(`${uniqueName('obs')}-scheduler.email.sent.v1.dlq`)).toBe(true);
  });

  it("leaves the stack's own groups, the contract topics and other names alone", () => {
    for (const name of [
      'user.created.v1',
      'herald-email.user.created.v1.retry.1s',
      'herald-email.user.created.v1.dlq',
      'herald-api-timeline.notification.status.v1.redrive',
      'bench-mx00gibj-email.user.created.v1.retry.1s',
      `${uniqueName('test-topic')}`,
      '__consumer_offsets',
    ]) {
      expect(TEST_GROUP_TOPIC.test(name)).toBe(false);
    }
  });
});
