export { ConsumerRunner } from './consumer.runner';
export type { ConsumerRunnerOptions } from './consumer.runner';
export type {
  HandlerContext,
  HandlerRegistration,
  NotificationSubject,
  Outcome,
  OutcomeRecord,
  NotificationStatusValue,
} from './handler';
export {
  DEFAULT_RETRY_POLICY,
  resolvePolicy,
  backoffDelay,
  withJitter,
  retryTiers,
  tierFor,
  formatDelay,
  retryTopicName,
  deadLetterTopicName,
  parsePolicyInput,
} from './policy';
export type { RetryPolicy, RetryPolicyInput } from './policy';
export { classify, AttemptTimeoutError, GivenUpError } from './errors';
export { Coalescer } from './coalescer';
export { LiveUsers } from './live-users';
export { consumerEnvFields, fetchPaceField } from './consumer-env';
export type { Classification, RetryAfter } from './errors';
export { HeraldKafkaTransport, handlerOptions } from './nest-transport';
export type { HandlerOptions, HeraldTransportOptions } from './nest-transport';
export { PassThroughExceptionFilter } from './exception.filter';
export { DeadLetters, DeadLetterNotFoundError, DEFAULT_MAX_REDRIVES } from './dead-letters';
export type { DeadLetter, DeadLetterTopic, RedriveReport } from './dead-letters';
