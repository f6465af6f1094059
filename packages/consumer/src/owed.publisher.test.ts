import type { RecordMetadata } from 'kafkajs';
import pino from 'pino';
import type { TracedBatch } from '@herald/kafka';
import { OwedPublisher, URGENT_LINGER_MS, type OwedSender } from './owed.publisher';
import type { OwedMessage } from './processed.store';

/** A sender that records each request's message values and refuses the requests it is told to. */
class RecordingSender implements OwedSender {
  readonly requests: string[][] = [];
  refusals = 0;
  /** Each request waits for this (a Kafka slower than the consumer). */
  held: Promise<void> = Promise.resolve();

  async send(batch: TracedBatch): Promise<RecordMetadata[]> {
    this.requests.push(batch.topicMessages.flatMap((t) => t.messages.map((m) => String(m.value))));
    await this.held;
    if (this.refusals > 0) {
      this.refusals -= 1;
      throw new Error('broker away');
    }
    return [];
  }

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
}

const store = { published: () => undefined, flushDeletions: async () => undefined, publishLeftOver: async () => 0 };
const owed = (value: string): OwedMessage[] => [{ topic: 'email.sent.v2', message: { key: 'k', value } }];

function publisherWith(sender: RecordingSender, lingerMs: number): OwedPublisher {
  return new OwedPublisher(sender, store, pino({ level: 'silent' }), lingerMs);
}

describe('OwedPublisher', () => {
  it('sends what is queued within the linger in one request, in the order queued', async () => {
    const sender = new RecordingSender();
    const publisher = publisherWith(sender, 30);
    const out = await Promise.all(['a', 'b', 'c'].map((v) => publisher.send(owed(v))));
    expect(out).toEqual([true, true, true]);
    expect(sender.requests).toEqual([['a', 'b', 'c']]);
  });

  it('sends a retry or dead letter within URGENT_LINGER_MS, with what was queued before it, in order', async () => {
    const sender = new RecordingSender();
    const publisher = publisherWith(sender, 60_000);
    const events = [publisher.send(owed('a')), publisher.send(owed('b'))];
    const retry = publisher.send(owed('retry'), { urgent: true });
    // Urgent still lingers (a failing burst goes out in one request): nothing is sent at once.
    await new Promise((resolve) => setImmediate(resolve));
    expect(sender.requests).toHaveLength(0);
    expect(await retry).toBe(true);
    expect(await Promise.all(events)).toEqual([true, true]);
    expect(sender.requests).toEqual([['a', 'b', 'retry']]);
    const later = publisher.send(owed('c'));
    await new Promise((resolve) => setTimeout(resolve, URGENT_LINGER_MS * 3));
    // An event waits its own linger: no request for it yet.
    expect(sender.requests).toHaveLength(1);
    await publisher.stop();
    expect(await later).toBe(true);
    expect(sender.requests).toEqual([['a', 'b', 'retry'], ['c']]);
  });

  it('tries a refused request again, whole, before anything queued after it', async () => {
    const sender = new RecordingSender();
    sender.refusals = 2;
    const publisher = publisherWith(sender, 10);
    const first = publisher.send(owed('a'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = publisher.send(owed('b'));
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(sender.requests).toEqual([['a'], ['a'], ['a'], ['b']]);
  });

  it('on stop sends what waits at once, and gives up on what Kafka refuses', async () => {
    const sender = new RecordingSender();
    const publisher = publisherWith(sender, 60_000);
    const waiting = publisher.send(owed('a'));
    await publisher.stop();
    expect(await waiting).toBe(true);

    const refusing = new RecordingSender();
    refusing.refusals = Number.POSITIVE_INFINITY;
    const stopped = publisherWith(refusing, 60_000);
    const refused = [stopped.send(owed('x')), stopped.send(owed('y'))];
    await stopped.stop();
    expect(await Promise.all(refused)).toEqual([false, false]);
    expect(refusing.requests).toEqual([['x', 'y']]);
  });

  it('makes a settle wait for room while 5,000 sends are queued behind a slow Kafka', async () => {
    const sender = new RecordingSender();
    let release = (): void => undefined;
    sender.held = new Promise((resolve) => (release = resolve));
    const publisher = publisherWith(sender, 0);
    const never = new AbortController().signal;
    const sends = [publisher.send(owed('first'))];
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sender.requests).toHaveLength(1);
    for (let i = 0; i < 5000; i++) sends.push(publisher.send(owed(String(i))));
    let roomy = false;
    const room = publisher.room(never).then(() => (roomy = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(roomy).toBe(false);
    release();
    await room;
    expect(await Promise.all(sends)).toEqual(sends.map(() => true));
    expect(sender.requests.map((r) => r.length)).toEqual([1, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500]);
  });

  it('resolves false for a send whose signal aborts first, without holding up the rest', async () => {
    const sender = new RecordingSender();
    const publisher = publisherWith(sender, 40);
    const cut = new AbortController();
    const abandoned = publisher.send(owed('a'), { signal: cut.signal });
    const kept = publisher.send(owed('b'));
    cut.abort();
    expect(await abandoned).toBe(false);
    expect(await kept).toBe(true);
  });
});
