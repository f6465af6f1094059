import { defineTopic, type Topic } from './topic';
import { UserCreatedData } from './events/user';

/** A user signed up. Email sends the welcome email, Slack announces the signup. */
export const UserCreated = defineTopic({
  baseName: 'user.created',
  version: 1,
  eventType: 'UserCreated',
  partitions: 6,
  key: 'userId',
  description: 'A user signed up (written through the api outbox).',
  data: UserCreatedData,
});

/** Every topic Herald owns, in the order the README's topic table lists them. */
export const topics: readonly Topic[] = Object.freeze([UserCreated]);
