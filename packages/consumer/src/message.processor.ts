import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { decodeEvent, Headers, RetryHeaders, type EventOf, type Topic } from '@herald/contracts';
import { retrying } from '@herald/service-kit';
import { contextFromHeaders, inSpan, markFailed, SpanKind, type Span } from '@herald/telemetry';
import { runAttempt } from './attempt';
import { classify, GivenUpError } from './errors';
import type { Delivery, FailureRoute, FailureRouting, ValidDelivery } from './failure-routing';
import type { HandlerRegistration, OutcomeRecord } from './handler';
import { recordOutcome, recordSettleWindow } from './metrics';
import { withTraceContext, type OwedPublisher } from './owed.publisher';
import type { Mark, OwedMessage, ProcessedStore } from './processed.store';
import { RecentMap } from './recent-map';

/** An event id as the contracts define it; other header values are not asked about. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Marks this consumer wrote lately, checked first: a copy fetched while the first was in progress. */
const RECENT_MARKS = 10_000;

/** Where a message of a topic goes: its handler, and whether it comes from a retry topic. */
export interface Route {
  registration: HandlerRegistration;
  kind: 'source' | 'retry';
  /** The group's redrive topic for this handler: a redriven letter starts anew. */
  redriven: boolean;
}

/** What one query for a whole batch learnt of processed_events (plus marks written since). */
export interface BatchMarks {
  asked: Set<string>;
  marks: Map<string, Mark>;
}

/** A message as fetched: where it was read, its headers as strings, and what its batch knows. */
export interface Incoming {
  route: Route;
  fromTopic: string;
  partition: number;
  message: KafkaMessage;
  headers: Record<string, string>;
  /** What processed_events said about the batch's events; undefined: ask about this one alone. */
  batchMarks?: Promise<BatchMarks | undefined>;
}

export interface ProcessorSignals {
  /** A stop began: messages still waiting for their mark give up. */
  stopping: AbortSignal;
  /** The stop ran out of grace: attempts are cut and left unfinished. */
  cut: AbortSignal;
  /** False while the consumer hands its partitions back (stopping or rejoining): nothing starts. */
  mayStart: () => boolean;
  /** A retry was written to this topic of the group's and is out: it is to be read soon. */
  retryWritten: (topic: string) => void;
}

export function intHeader(headers: Record<string, string>, name: string): number | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/**
 * Takes one message to its end, once per consumer group. The exactly-once argument is the order of
 * its steps:
 *
 * 1. Look up the event's mark; a handled or dead-lettered event, or an older attempt of one
 *    whose later attempt waits in a retry topic, is skipped. While PostgreSQL is away this step
 *    waits, so no handler runs whose outcome could not be recorded.
 * 2. Run the attempt (the side effect: the SMTP exchange, the webhook POST).
 * 3. Settle: one durable write of the outcome (handled, retried, dead-lettered) together with
 *    everything it owes Kafka (the events the handler emitted, or the retry or dead letter).
 *    Only this write is tried again while PostgreSQL is away; the attempt never is.
 * 4. Publish what is owed, in the background (OwedPublisher): in settle order, with what the
 *    others settling meanwhile owe, tried again while Kafka is away; what a stop leaves
 *    unpublished is published by the group's next consumer from consumer_outbox, under the same
 *    event ids, which consumers drop as duplicates.
 *
 * The message is finished (its offset may be committed) after step 3. A crash before step
 * 3 redelivers it and the attempt runs again: the only window in which a side effect can happen
 * twice is between its acceptance by the server and the settle write, one PostgreSQL round trip
 * (herald_consumer_settle_window_seconds measures it). A graceful stop waits for the attempts in progress; one cut
 * by the end of the grace is left unfinished, not routed to a retry, so it is redone once.
 */
export class MessageProcessor {
  /** Marks written lately by this consumer, checked again when a message's turn comes. */
  private readonly recentMarks = new RecentMap<string, Mark>(RECENT_MARKS);

  constructor(
    private readonly groupId: string,
    private readonly store: ProcessedStore,
    private readonly publisher: OwedPublisher,
    private readonly routing: FailureRouting,
    private readonly logger: Logger,
    private readonly signals: ProcessorSignals,
    private readonly now: () => number,
  ) {}

  /** The marks of a batch's events (by their event-id header), in one query. Never rejects. */
  marksAmong(headers: readonly Record<string, string>[]): Promise<BatchMarks | undefined> {
    const asked = new Set<string>();
    for (const h of headers) {
      const id = h[Headers.eventId];
      if (id && UUID.test(id)) asked.add(id);
    }
    return this.store.marksOf([...asked]).then(
      (marks) => ({ asked, marks }),
      () => undefined,
    );
  }

  /**
   * Handles a message to one of its ends inside a `process <topic>` CONSUMER span whose parent is
   * the context its producer put in its headers (one trace per signup). Resolves true when it is
   * finished, false when a stop or a rejoin left it for the next consumer. Never rejects.
   */
  async process(incoming: Incoming): Promise<boolean> {
    if (!this.signals.mayStart()) return false;
    const { route, fromTopic, partition, message, headers } = incoming;
    const attributes = {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': fromTopic,
      'messaging.destination.partition.id': String(partition),
      'messaging.consumer.group.name': this.groupId,
      'messaging.kafka.offset': Number(message.offset),
      'herald.handler': route.registration.name,
    };
    try {
      return await inSpan(`process ${fromTopic}`, { kind: SpanKind.CONSUMER, parent: contextFromHeaders(headers), attributes }, (span) =>
        this.processInSpan(span, incoming),
      );
    } catch (error) {
      // A fault of the runtime itself: leave the message for the next run rather than guess.
      this.logger.error({ err: error, topic: fromTopic, partition, offset: message.offset }, 'could not process a message; left unfinished');
      return false;
    }
  }

  private async processInSpan(span: Span, incoming: Incoming): Promise<boolean> {
    const { route, fromTopic, partition, message, headers } = incoming;
    const { registration } = route;
    const { policy } = registration;
    const started = this.now();
    const attempt = route.kind === 'retry' ? (intHeader(headers, RetryHeaders.attempt) ?? 1) : 1;
    span.setAttribute('herald.attempt', attempt);
    const record = (outcome: OutcomeRecord['outcome'], extra: Partial<OutcomeRecord> = {}): void => {
      span.setAttribute('herald.outcome', outcome);
      recordOutcome(this.groupId, { handler: registration.name, topic: registration.topic.name, outcome, attempt, durationMs: this.now() - started, ...extra });
    };
    const source = route.kind === 'source';
    const delivery: Delivery = {
      registration,
      message,
      headers,
      origin: {
        topic: source ? fromTopic : (headers[RetryHeaders.originalTopic] ?? registration.topic.name),
        partition: source ? partition : (intHeader(headers, RetryHeaders.originalPartition) ?? partition),
        offset: source ? message.offset : (headers[RetryHeaders.originalOffset] ?? message.offset),
        timestamp: source ? message.timestamp : (headers[RetryHeaders.originalTimestamp] ?? message.timestamp),
      },
      attempt,
      firstSeenAt: intHeader(headers, RetryHeaders.firstSeenAt) ?? Number(message.timestamp),
      firstAttemptAt: intHeader(headers, RetryHeaders.firstAttemptAt) ?? started,
    };

    let event: EventOf<Topic>;
    try {
      event = decodeEvent(registration.topic, message.value);
    } catch (error) {
      markFailed(span, error);
      // No event id to settle under: the letter is published as it is (a crash before the offset
      // commit may write it twice, which a dead-letter topic can bear).
      const why = classify(error, policy);
      const letter = this.routing.deadLetter(delivery, why);
      const attributes = { 'herald.dead_letter.topic': letter.topic, 'herald.error.type': why.type, 'herald.attempts': attempt };
      // Inside the span: the letter carries its context.
      const sent = await inSpan('dead-letter', { attributes }, () => this.publisher.send(withTraceContext([letter]), { signal: this.signals.cut, urgent: true }));
      if (!sent) return false;
      record('dead-lettered', { errorType: 'CONTRACT_VIOLATION' });
      return true;
    }
    span.setAttribute('messaging.message.id', event.id);
    // Not an event this handler acts on: nothing to do, so nothing to mark either.
    if (registration.accepts && !registration.accepts(event)) {
      record('ignored', { eventId: event.id });
      return true;
    }
    const logger = this.logger.child({ handler: registration.name, eventId: event.id, attempt });
    const valid: ValidDelivery = { ...delivery, event };

    // 1. The mark.
    const batch = await incoming.batchMarks;
    let stored: Mark | undefined;
    if (batch?.asked.has(event.id)) stored = batch.marks.get(event.id);
    else {
      try {
        stored = await retrying(async () => (await this.store.marksOf([event.id])).get(event.id), {
          signal: this.signals.stopping,
          onFailure: (error, failures) => failures === 1 && logger.warn({ err: error }, 'cannot read processed_events; waiting for PostgreSQL'),
        });
      } catch {
        return false;
      }
    }
    const marks = [this.recentMarks.get(event.id), stored];
    const skip = this.duplicate(marks, attempt, route.redriven);
    if (skip) {
      logger.info(`duplicate delivery: ${skip}, skipped`);
      record('duplicate', { eventId: event.id });
      return true;
    }

    // Given up before trying: waited too long for a first attempt, or for all of them.
    const waited = started - delivery.firstSeenAt;
    const givenUp =
      attempt === 1 && source && waited > policy.scheduleToStartTimeout
        ? new GivenUpError('SCHEDULE_TO_START_TIMEOUT', `waited ${waited} ms for a first attempt, more than ${policy.scheduleToStartTimeout} ms`)
        : waited > policy.scheduleToCloseTimeout
          ? new GivenUpError('SCHEDULE_TO_CLOSE_TIMEOUT', `${waited} ms since it was first seen, more than ${policy.scheduleToCloseTimeout} ms`)
          : undefined;
    if (givenUp) {
      const route = this.routing.giveUp(valid, classify(givenUp, policy));
      if (!(await this.settleFailure(valid, route, logger, batch))) return false;
      record('dead-lettered', { eventId: event.id, errorType: givenUp.code });
      return true;
    }

    // 2. The attempt.
    const result = await runAttempt(valid, logger, this.routing, this.signals.cut);
    if (!result.ok && result.cut) {
      logger.warn('attempt cut by the stop: left unfinished, to be attempted again by the next consumer');
      return false;
    }
    if (result.ok) {
      // 3 and 4.
      if (!(await this.settle(event.id, { outcome: 'handled', attempt: null }, result.emitted, logger, batch))) return false;
      if (result.skipped !== undefined) logger.info({ reason: result.skipped }, 'skipped: nothing owed');
      record(result.skipped === undefined ? 'handled' : 'skipped', { eventId: event.id });
      return true;
    }
    const why = classify(result.error, policy);
    markFailed(span, result.error);
    logger.warn({ errorType: why.type, err: result.error }, `attempt ${attempt} failed: ${why.message}`);
    const failure = this.routing.afterFailure(valid, why);
    if (!(await this.settleFailure(valid, failure, logger, batch))) return false;
    record(failure.retry ? 'retried' : 'dead-lettered', { eventId: event.id, errorType: why.type });
    return true;
  }

  /** Why a delivery with these marks is a duplicate, or undefined when it is to be attempted. */
  private duplicate(marks: readonly (Mark | undefined)[], attempt: number, redriven: boolean): string | undefined {
    if (marks.some((m) => m?.outcome === 'handled')) return 'already handled by this group';
    // A redriven letter starts a new story; any other copy of a settled event is one too many.
    if (redriven) return undefined;
    if (marks.some((m) => m?.outcome === 'dead-lettered')) return 'already dead-lettered by this group';
    const waiting = Math.max(0, ...marks.map((m) => (m?.outcome === 'retried' ? (m.attempt ?? 0) : 0)));
    return attempt < waiting ? `attempt ${waiting} already waits in a retry topic` : undefined;
  }

  /** Settles a failed attempt in a `retry` or `dead-letter` span, which its messages continue. */
  private async settleFailure(d: ValidDelivery, route: FailureRoute, logger: Logger, batch: BatchMarks | undefined): Promise<boolean> {
    const { retry } = route;
    const name = retry ? 'retry' : 'dead-letter';
    const attributes = retry
      ? { 'herald.retry.topic': retry.topic, 'herald.retry.delay_ms': retry.delayMs, 'herald.retry.next_attempt': d.attempt + 1 }
      : { 'herald.dead_letter.topic': route.owed[0]?.topic ?? '', 'herald.attempts': d.attempt };
    const settled = await inSpan(name, { attributes }, () => this.settle(d.event.id, route.mark, route.owed, logger, batch));
    if (!settled) return false;
    if (retry) {
      void settled.published.then((out) => out && this.signals.retryWritten(retry.topic));
      logger.info({ retryTopic: retry.topic, notBefore: new Date(retry.notBefore).toISOString() }, `attempt ${d.attempt + 1} in ${retry.delayMs} ms`);
    } else logger.error({ reason: route.reason }, `dead-lettered after ${d.attempt} attempt(s)`);
    return true;
  }

  /**
   * Steps 3 and 4: writes the outcome with what it owes (trying the write alone again while
   * PostgreSQL is away, until the stop runs out of grace), then queues what is owed. Resolves
   * undefined when the stop ran out of grace first, else with the publication under way.
   */
  private async settle(
    eventId: string,
    mark: Mark,
    owed: readonly OwedMessage[],
    logger: Logger,
    batch: BatchMarks | undefined,
  ): Promise<{ published: Promise<boolean> } | undefined> {
    const attemptEnded = performance.now();
    const messages = withTraceContext(owed);
    let row;
    try {
      row = await retrying(() => this.store.settle(eventId, mark, messages), {
        signal: this.signals.cut,
        onFailure: (error, failures) => failures === 1 && logger.warn({ err: error }, 'cannot record the outcome yet; trying the write again (not the attempt)'),
      });
    } catch {
      logger.error(`the stop ran out of grace before the outcome (${mark.outcome}) could be recorded: the next consumer will attempt it again`);
      return undefined;
    }
    recordSettleWindow(this.groupId, performance.now() - attemptEnded);
    batch?.marks.set(eventId, mark);
    this.recentMarks.set(eventId, mark);
    // A retry or a dead letter is awaited sooner than an event handled.
    const published = row ? this.publisher.publish(row, mark.outcome !== 'handled') : Promise.resolve(true);
    await this.publisher.room(this.signals.cut);
    return { published };
  }
}
