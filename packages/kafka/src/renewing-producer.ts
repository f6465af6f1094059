import type { Producer, RecordMetadata } from 'kafkajs';
import { sendTraced, type TracedBatch } from './traced-send';

/** What a loop that publishes needs of a producer: a traced batch send. */
export interface BatchSender {
  send(batch: TracedBatch): Promise<RecordMetadata[]>;
}

/**
 * An idempotent producer that is thrown away after any failed send; the next send makes and
 * connects a new one.
 *
 * kafkajs numbers an idempotent producer's batches before it sends them and takes the numbers
 * back when a request fails. The broker may have written that batch all the same; it then takes
 * the next batch carrying those numbers for its duplicate, whatever that batch holds, drops it
 * and answers success, or refuses every later batch as out of order. A new producer has a new
 * producer id: retrying with it may write a message twice, under the same event id, which
 * consumers drop; it never loses another one. Use it with one request in flight at a time.
 */
export class RenewingProducer implements BatchSender {
  #producer: Producer | undefined;
  #connecting: Promise<Producer> | undefined;

  constructor(private readonly create: () => Producer) {}

  /** Connects a producer now (a send would otherwise connect one first). */
  async connect(): Promise<void> {
    await this.#connected();
  }

  async send(batch: TracedBatch): Promise<RecordMetadata[]> {
    const producer = await this.#connected();
    try {
      return await sendTraced(producer, batch);
    } catch (error) {
      if (this.#producer === producer) this.#producer = undefined;
      void producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    const producer = this.#producer ?? (await this.#connecting?.catch(() => undefined));
    this.#producer = undefined;
    await producer?.disconnect().catch(() => undefined);
  }

  #connected(): Promise<Producer> {
    if (this.#producer) return Promise.resolve(this.#producer);
    this.#connecting ??= (async () => {
      const producer = this.create();
      try {
        await producer.connect();
        this.#producer = producer;
        return producer;
      } finally {
        this.#connecting = undefined;
      }
    })();
    return this.#connecting;
  }
}
