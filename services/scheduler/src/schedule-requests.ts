import {
  assertEvent,
  ContractViolationError,
  type ScheduleCancelRequested,
  ScheduleRequested,
  topicByName,
  type EventOf,
} from '@herald/contracts';
import type { ScheduleResult, ScheduledMessagesStore } from './scheduled-messages.store';
import { pickTraceHeaders } from './trace-headers';

/**
 * A generic delayed message was requested. Only the topics the deployment allows may be targeted
 * (SCHEDULE_REQUEST_TOPICS, within the contracts' SCHEDULABLE_TOPICS), and the value must already
 * match the target's contract: a bad request fails here, non-retriably (the transport
 * dead-letters it with the reason), rather than days later at dispatch.
 */
export async function onScheduleRequested(
  event: EventOf<typeof ScheduleRequested>,
  deps: { store: ScheduledMessagesStore; scheduleRequestTopics: readonly string[] },
  headers: Readonly<Record<string, string | undefined>> = {},
): Promise<ScheduleResult> {
  const { scheduleKey, topic, key, dueAt, value } = event.data;
  const target = topicByName(topic);
  if (!target || !deps.scheduleRequestTopics.includes(topic)) {
    throw new ContractViolationError(`event on ${ScheduleRequested.name}`, [
      { path: '/data/topic', message: `"${topic}" may not be scheduled here` },
    ]);
  }
  assertEvent(target, value);
  return deps.store.schedule({
    scheduleKey,
    topic,
    key,
    value,
    headers: pickTraceHeaders(headers),
    dueAt: new Date(dueAt),
  });
}

/** Cancels the message pending under the requested key; returns how many were cancelled (0 or 1). */
export async function onScheduleCancelRequested(
  event: EventOf<typeof ScheduleCancelRequested>,
  deps: { store: ScheduledMessagesStore },
): Promise<number> {
  return deps.store.cancel(event.data.scheduleKey);
}
