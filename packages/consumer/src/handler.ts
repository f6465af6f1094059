import type { IHeaders } from 'kafkajs';
import type { Logger } from 'pino';
import type { EventOf, NOTIFICATION_STATUSES_V2, Topic } from '@herald/contracts';
import type { RetryPolicy } from './policy';

/** The steps a handler may report; a delivery is reported by its own event (email.sent, …). */
export type NotificationStatusValue = (typeof NOTIFICATION_STATUSES_V2)[number];

/** What a handler gets for one event. */
export interface HandlerContext<T extends Topic = Topic> {
  /** The event, already validated against its topic's contract. */
  event: EventOf<T>;
  key: string;
  headers: Readonly<Record<string, string>>;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when the attempt's startToCloseTimeout passes or the consumer stops. */
  signal: AbortSignal;
  /** The topic the event was published to (not the retry topic it may come from). */
  topic: string;
  logger: Logger;
  /**
   * Queues an event to publish when the handler succeeds, before the event is marked processed
   * and its offset committed, with the attempt's number in its `herald-attempt` header. A failed
   * attempt publishes nothing.
   */
  emit<U extends Topic>(topic: U, key: string, event: EventOf<U>, headers?: IHeaders): void;
  /** Queues a notification.status.v2 event about this event's notification (needs `describe`). */
  status(status: NotificationStatusValue, extra?: { detail?: string; nextAt?: Date }): void;
  /**
   * Says the event is owed nothing (the user it names was deleted): it is marked processed and
   * counted as `skipped`, never retried nor dead-lettered. `reason` is logged: no personal data.
   */
  skip(reason: string): void;
}

/** Which notification an event is about, for status events. */
export interface NotificationSubject {
  subjectId: string;
  notification: string;
}

/** One handler of one topic in one consumer group. */
export interface HandlerRegistration<T extends Topic = Topic> {
  topic: T;
  /** Names the handler in logs and metrics. */
  name: string;
  policy: RetryPolicy;
  handle(ctx: HandlerContext<T>): Promise<void>;
  /** Lets the transport emit 'retrying' and 'dead-lettered' status events on the timeline. */
  describe?(event: EventOf<T>): NotificationSubject | undefined;
  /**
   * The events of the topic this handler acts on; any other is acknowledged as `ignored`, with no
   * handler call, no processed-events mark and no status. Absent: every event.
   */
  accepts?(event: EventOf<T>): boolean;
}

/** What happened to one message, for metrics and tests. */
export type Outcome = 'handled' | 'skipped' | 'duplicate' | 'ignored' | 'retried' | 'dead-lettered' | 'deferred';

export interface OutcomeRecord {
  handler: string;
  topic: string;
  outcome: Outcome;
  attempt: number;
  durationMs: number;
  eventId?: string;
  errorType?: string;
}
