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
export { Headers, RetryHeaders } from './headers';
export {
  UserCreated,
  UserCreatedV2,
  UserDeleted,
  AlertRaised,
  EmailSent,
  EmailSentV2,
  SlackMessageSent,
  FollowUpRequested,
  FollowUpRequestedV2,
  ScheduleRequested,
  ScheduleCancelRequested,
  NotificationStatus,
  NotificationStatusV2,
  topics,
  topicByName,
  SCHEDULABLE_TOPICS,
} from './topics';
export {
  UserCreatedData,
  UserCreatedV2Data,
  UserDeletedData,
  FollowUpRequestedData,
  FollowUpRequestedV2Data,
  USER_LIMITS,
  USERNAME_PATTERN,
  FULL_NAME_PATTERN,
  Email,
  Username,
  FullName,
} from './events/user';
export { AlertRaisedData, SEVERITIES, ALERT_MESSAGE_MAX_LENGTH } from './events/alert';
export {
  EmailSentData,
  EmailSentV2Data,
  SlackMessageSentData,
  NotificationStatusData,
  NotificationStatusV2Data,
  ScheduleRequestedData,
  ScheduleCancelRequestedData,
  EMAIL_TEMPLATES,
  SLACK_CHANNELS,
  NOTIFICATION_STATUSES,
  NOTIFICATION_STATUSES_V2,
  NOTIFICATION_CHANNELS,
} from './events/delivery';
export { registerFormats } from './formats';
