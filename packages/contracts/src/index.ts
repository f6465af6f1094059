export {
  defineTopic,
  newEvent,
  followUpOf,
  assertEvent,
  encodeEvent,
  decodeEvent,
  MAX_EVENT_BYTES,
  MAX_ID_LENGTH,
} from './topic';
export type { Envelope, Topic, TopicOptions, EventOf, DataOf, Causation } from './topic';
export { HeraldError, ContractViolationError } from './errors';
export type { Violation } from './errors';
export { Headers } from './headers';
export { UserCreated, topics } from './topics';
export { UserCreatedData, USER_LIMITS, USERNAME_PATTERN, FULL_NAME_PATTERN } from './events/user';
export { registerFormats } from './formats';
