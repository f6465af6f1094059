import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { ContractViolationError, decodeEvent, NotificationStatus } from '@herald/contracts';
import type { Database } from '@herald/db';
import type { Logger } from '@herald/service-kit';
import { recordStatus } from './timeline.repository';

/** The consumer group of the timeline projection. */
export const TIMELINE_GROUP = 'herald-api-timeline';

export interface TimelineProjectorOptions {
  kafka: Kafka;
  db: Database;
  logger: Logger;
  /** Default herald-api-timeline; tests use their own. */
  groupId?: string;
  /** Longest pause between attempts to join while Kafka is down; default 5 s. */
  maxBackoffMs?: number;
}

/**
 * Projects `notification.status.v1` into the notification_timeline table the api serves. Inserts
 * are idempotent on the event id, so a redelivery changes nothing; a message that breaks the
 * contract is logged and skipped, never retried, so it cannot block its partition.
 */
export class TimelineProjector {
  private consumer: Consumer | undefined;
  private joining: Promise<void> | undefined;
  private stopping = false;
  private readonly groupId: string;

  constructor(private readonly options: TimelineProjectorOptions) {
    this.groupId = options.groupId ?? TIMELINE_GROUP;
  }

  /** Joins the group in the background, retrying with capped backoff while Kafka is down. */
  start(): void {
    this.joining ??= this.join();
  }

  /** Handles one message: records it, or logs and skips it when it breaks the contract. */
  async handle(message: KafkaMessage, partition: number): Promise<void> {
    let event;
    try {
      event = decodeEvent(NotificationStatus, message.value);
    } catch (error) {
      if (!(error instanceof ContractViolationError)) throw error;
      this.options.logger.warn(
        { topic: NotificationStatus.name, partition, offset: message.offset, violations: error.violations },
        'skipping a notification status that breaks its contract',
      );
      return;
    }
    // A database failure throws: kafkajs retries the message rather than losing it.
    await recordStatus(this.options.db, event);
  }

  /** Stops fetching, lets the message in hand finish, and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private async join(): Promise<void> {
    const maxBackoffMs = this.options.maxBackoffMs ?? 5000;
    for (let failures = 0; !this.stopping; failures++) {
      const consumer = this.options.kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false });
      try {
        await consumer.connect();
        await consumer.subscribe({ topic: NotificationStatus.name, fromBeginning: true });
        await consumer.run({ eachMessage: ({ message, partition }) => this.handle(message, partition) });
        this.consumer = consumer;
        // stop() may have come while we were joining.
        if (this.stopping) await consumer.disconnect();
        else this.options.logger.info({ groupId: this.groupId }, 'timeline projector consuming');
        return;
      } catch (error) {
        await consumer.disconnect().catch(() => undefined);
        const delayMs = Math.min(maxBackoffMs, 250 * 2 ** failures);
        this.options.logger.warn({ err: error, retryInMs: delayMs }, 'timeline projector cannot join yet');
        await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      }
    }
  }
}
