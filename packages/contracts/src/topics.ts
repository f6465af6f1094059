import { defineTopic, type Topic } from './topic';
import { FollowUpRequestedData, FollowUpRequestedV2Data, UserCreatedData, UserCreatedV2Data, UserDeletedData } from './events/user';
import { AlertRaisedData } from './events/alert';
import {
  EmailSentData,
  EmailSentV2Data,
  NotificationStatusData,
  NotificationStatusV2Data,
  ScheduleCancelRequestedData,
  ScheduleRequestedData,
  SlackMessageSentData,
} from './events/delivery';

/**
 * A user signed up, with their address and name. No longer written: UserCreatedV2 took its place,
 * so that Kafka holds no personal data. Defined so that a reader of its history can decode it.
 */
export const UserCreated = defineTopic({
  baseName: 'user.created',
  version: 1,
  eventType: 'UserCreated',
  partitions: 6,
  key: 'userId',
  description: 'No longer written: user.created.v2 took its place.',
  data: UserCreatedData,
});

/** A user signed up. Email sends the welcome email, Slack announces the signup, each reading the user. */
export const UserCreatedV2 = defineTopic({
  baseName: 'user.created',
  version: 2,
  eventType: 'UserCreated',
  partitions: 6,
  key: 'userId',
  description: 'A user signed up (api, through the outbox): their id only; email and Slack read the live user, and skip one deleted.',
  data: UserCreatedV2Data,
});

/** A user was deleted: pending follow-ups for them are cancelled. */
export const UserDeleted = defineTopic({
  baseName: 'user.deleted',
  version: 1,
  eventType: 'UserDeleted',
  partitions: 6,
  key: 'userId',
  description: 'A user was deleted (api, through the outbox); the scheduler deletes their follow-ups, cancelling what is pending.',
  data: UserDeletedData,
});

/** An operator alert: email to the admin address and Slack to the alerts channel, in parallel. */
export const AlertRaised = defineTopic({
  baseName: 'alert.raised',
  version: 1,
  eventType: 'AlertRaised',
  partitions: 3,
  key: 'alertId',
  description: 'An alert was raised (api, through the outbox); email and Slack deliver it.',
  data: AlertRaisedData,
});

/** An email was accepted by the SMTP server, with its recipient. No longer written: EmailSentV2. */
export const EmailSent = defineTopic({
  baseName: 'email.sent',
  version: 1,
  eventType: 'EmailSent',
  partitions: 6,
  key: 'subjectId',
  description: 'No longer written: email.sent.v2 took its place.',
  data: EmailSentData,
});

/** An email was accepted by the SMTP server; its recipient is not said. */
export const EmailSentV2 = defineTopic({
  baseName: 'email.sent',
  version: 2,
  eventType: 'EmailSent',
  partitions: 6,
  key: 'subjectId',
  description: 'An email was accepted by SMTP (email), without its recipient; a welcome email schedules the follow-up.',
  data: EmailSentV2Data,
});

/** A Slack message was accepted by the webhook. */
export const SlackMessageSent = defineTopic({
  baseName: 'slack.message.sent',
  version: 1,
  eventType: 'SlackMessageSent',
  partitions: 6,
  key: 'subjectId',
  description: 'A Slack webhook accepted a message (slack).',
  data: SlackMessageSentData,
});

/** The follow-up email fell due, with the user's address and name. No longer written: FollowUpRequestedV2. */
export const FollowUpRequested = defineTopic({
  baseName: 'follow-up.requested',
  version: 1,
  eventType: 'FollowUpRequested',
  partitions: 6,
  key: 'userId',
  description: 'No longer written: follow-up.requested.v2 took its place.',
  data: FollowUpRequestedData,
});

/** The follow-up email fell due: the user's id only. */
export const FollowUpRequestedV2 = defineTopic({
  baseName: 'follow-up.requested',
  version: 2,
  eventType: 'FollowUpRequested',
  partitions: 6,
  key: 'userId',
  description: "A follow-up fell due (scheduler); email reads the live user and sends the follow-up email, and the api's timeline records it as the follow-up's `due` step.",
  data: FollowUpRequestedV2Data,
});

/** Deliver a message to a topic at a time: the scheduler's generic request. */
export const ScheduleRequested = defineTopic({
  baseName: 'schedule.requested',
  version: 1,
  eventType: 'ScheduleRequested',
  partitions: 6,
  key: 'scheduleKey',
  description: 'Publish a message at a given time to a topic the scheduler allows (SCHEDULE_REQUEST_TOPICS); the scheduler stores it.',
  data: ScheduleRequestedData,
});

/** Cancel the pending scheduled message with a key. */
export const ScheduleCancelRequested = defineTopic({
  baseName: 'schedule.cancel-requested',
  version: 1,
  eventType: 'ScheduleCancelRequested',
  partitions: 6,
  key: 'scheduleKey',
  description: 'Cancel a pending scheduled message by key (anyone).',
  data: ScheduleCancelRequestedData,
});

/**
 * A step in a notification's life, for the timeline, deliveries included. No longer written:
 * NotificationStatusV2 and the delivery events took its place. Defined so that a reader of its
 * history can decode it.
 */
export const NotificationStatus = defineTopic({
  baseName: 'notification.status',
  version: 1,
  eventType: 'NotificationStatus',
  partitions: 6,
  key: 'subjectId',
  description: 'No longer written: notification.status.v2 and the delivery events took its place.',
  data: NotificationStatusData,
});

/** A step in a notification's life that no domain event records, for the timeline. */
export const NotificationStatusV2 = defineTopic({
  baseName: 'notification.status',
  version: 2,
  eventType: 'NotificationStatus',
  partitions: 6,
  key: 'subjectId',
  description: 'A retry, dead letter, schedule or cancellation of a notification (every service); the api keeps the timeline, with the delivery events.',
  data: NotificationStatusV2Data,
});

/** Every topic Herald owns, in the order the README's topic table lists them. */
export const topics: readonly Topic[] = Object.freeze([
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
]);

/**
 * The topics a `schedule.requested` may target, the most a deployment may allow (the scheduler's
 * SCHEDULE_REQUEST_TOPICS narrows it): a follow-up email for a user, at a time of the caller's
 * choosing. Never an alert (it would go around the api's admin check), a signup, or an event
 * that says a step happened.
 */
export const SCHEDULABLE_TOPICS: readonly Topic[] = Object.freeze([FollowUpRequestedV2]);

/** The topic with this name, if Herald owns it. */
export function topicByName(name: string): Topic | undefined {
  return topics.find((t) => t.name === name);
}
