import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { newEvent, NotificationStatusV2, RetryHeaders, type EventOf, type Topic } from '@herald/contracts';
import { toMessage } from '@herald/kafka';
import { activeTraceId, TRACE_HEADER_NAMES } from '@herald/telemetry';
import type { Classification } from './errors';
import type { HandlerRegistration, NotificationStatusValue } from './handler';
import type { Mark, OwedMessage } from './processed.store';
import { backoffDelay, deadLetterTopicName, retryTiers, retryTopicName, tierFor, withJitter } from './policy';

/** Largest stack kept in a dead letter, in characters. */
const MAX_STACK = 4000;
const MAX_ERROR_MESSAGE = 2000;

/** One message on its way through a handler: where it came from and how far it got. */
export interface Delivery {
  registration: HandlerRegistration;
  message: KafkaMessage;
  headers: Record<string, string>;
  /** The topic, partition, offset and time it was first published with. */
  origin: { topic: string; partition: number; offset: string; timestamp: string };
  attempt: number;
  firstSeenAt: number;
  firstAttemptAt: number;
}

/** A delivery whose value passed its contract. */
export interface ValidDelivery extends Delivery {
  event: EventOf<Topic>;
}

export interface StatusExtra {
  detail?: string;
  nextAt?: Date;
  error?: Classification;
}

/** Where a failed attempt goes: the mark to write and the messages it owes. */
export interface FailureRoute {
  mark: Mark;
  owed: OwedMessage[];
  /** For a retry: the retry topic, the delay and when the next attempt is due. */
  retry?: { topic: string; delayMs: number; notBefore: number };
  /** For a dead letter: why no attempt is left. */
  reason?: string;
}

/**
 * Builds the messages of the three ends of a failed attempt (a retry in the group's own retry
 * topic, a dead letter with the whole story, and their notification.status events). It only
 * builds: the delivery writes them with the outcome and publishes them.
 */
export class FailureRouting {
  constructor(
    private readonly groupId: string,
    private readonly channel: 'email' | 'slack' | 'scheduler',
    private readonly now: () => number,
    private readonly random: () => number,
  ) {}

  /** Retry later through the right tier, or dead-letter when no attempt is left. */
  afterFailure(d: ValidDelivery, why: Classification): FailureRoute {
    const { policy } = d.registration;
    const now = this.now();
    const delay = Math.max(withJitter(backoffDelay(policy, d.attempt), policy.jitter, this.random), why.retryAfterMs ?? 0);
    const outOfTime = now + delay - d.firstSeenAt > policy.scheduleToCloseTimeout;
    if (!why.retriable || d.attempt >= policy.maximumAttempts || outOfTime) {
      return this.giveUp(d, why, !why.retriable ? 'not retriable' : outOfTime ? 'scheduleToCloseTimeout would pass' : 'no attempt left');
    }
    const topic = retryTopicName(this.groupId, d.registration.topic.name, tierFor(retryTiers(policy), delay));
    const notBefore = now + delay;
    const headers: IHeaders = {
      ...this.storyHeaders(d, why),
      [RetryHeaders.attempt]: String(d.attempt + 1),
      [RetryHeaders.notBefore]: String(notBefore),
      [RetryHeaders.firstSeenAt]: String(d.firstSeenAt),
      [RetryHeaders.firstAttemptAt]: String(d.firstAttemptAt),
      [RetryHeaders.lastAttemptAt]: String(now),
    };
    const owed: OwedMessage[] = [{ topic, message: { key: d.message.key, value: d.message.value, headers } }];
    const status = this.statusMessage(d, 'retrying', { nextAt: new Date(notBefore), error: why });
    if (status) owed.push(status);
    return { mark: { outcome: 'retried', attempt: d.attempt + 1 }, owed, retry: { topic, delayMs: delay, notBefore } };
  }

  /** No attempt left (or none allowed): the dead letter and its status. */
  giveUp(d: ValidDelivery, why: Classification, reason = 'given up'): FailureRoute {
    const status = this.statusMessage(d, 'dead-lettered', { detail: reason, error: why });
    return { mark: { outcome: 'dead-lettered', attempt: null }, owed: [this.deadLetter(d, why), ...(status ? [status] : [])], reason };
  }

  /** The dead letter: original key, value and headers plus the whole story. */
  deadLetter(d: Delivery, why: Classification): OwedMessage {
    const headers: IHeaders = {
      ...this.storyHeaders(d, why),
      [RetryHeaders.attempt]: String(d.attempt),
      [RetryHeaders.firstAttemptAt]: String(d.firstAttemptAt),
      [RetryHeaders.lastAttemptAt]: String(this.now()),
      [RetryHeaders.errorCode]: why.type,
      [RetryHeaders.errorStack]: (why.stack ?? '').slice(0, MAX_STACK),
    };
    delete headers[RetryHeaders.notBefore];
    const message: Message = { key: d.message.key, value: d.message.value, headers };
    return { topic: deadLetterTopicName(this.groupId, d.registration.topic.name), message };
  }

  /** The notification.status.v2 message of a step, when the handler says which notification it is. */
  statusMessage(d: ValidDelivery, status: NotificationStatusValue, extra: StatusExtra = {}): OwedMessage | undefined {
    const subject = d.registration.describe?.(d.event);
    if (!subject) return undefined;
    const traceId = activeTraceId();
    const event = newEvent(
      NotificationStatusV2,
      {
        subjectId: subject.subjectId,
        channel: this.channel,
        notification: subject.notification,
        status,
        attempt: d.attempt,
        ...(extra.detail ? { detail: extra.detail.slice(0, 1000) } : {}),
        ...(extra.nextAt ? { nextAt: extra.nextAt.toISOString() } : {}),
        ...(extra.error ? { errorCode: extra.error.type.slice(0, 100), errorMessage: extra.error.message.slice(0, MAX_ERROR_MESSAGE) } : {}),
        // The timeline entry leads to the trace in Jaeger.
        ...(traceId ? { traceId } : {}),
        at: new Date(this.now()).toISOString(),
      },
      { correlationId: d.event.correlationId, causationId: d.event.id },
    );
    return { topic: NotificationStatusV2.name, message: toMessage(NotificationStatusV2, subject.subjectId, event) };
  }

  /**
   * The original headers plus where the message came from and why its last attempt failed.
   * The trace headers are left for the send to write: they then point at this attempt.
   */
  private storyHeaders(d: Delivery, why: Classification): IHeaders {
    const kept = Object.fromEntries(Object.entries(d.headers).filter(([name]) => !TRACE_HEADER_NAMES.includes(name)));
    return {
      ...kept,
      [RetryHeaders.originalTopic]: d.origin.topic,
      [RetryHeaders.originalPartition]: String(d.origin.partition),
      [RetryHeaders.originalOffset]: d.origin.offset,
      [RetryHeaders.originalTimestamp]: d.origin.timestamp,
      [RetryHeaders.group]: this.groupId,
      [RetryHeaders.errorType]: why.type,
      [RetryHeaders.errorMessage]: why.message.slice(0, MAX_ERROR_MESSAGE),
    };
  }
}
