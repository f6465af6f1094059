import { createRequire } from 'node:module';
import { fixRequestQueueTimerLoop, kafkajsRequestQueue, type RequestQueueInternals } from './request-queue';

interface PushedRequest {
  entry: { correlationId: number; apiKey: number; apiName: string; apiVersion: number; resolve: () => void; reject: () => void };
  expectResponse: boolean;
  sendRequest: () => void;
}

interface Queue extends RequestQueueInternals {
  push(request: PushedRequest): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  destroy(): void;
}

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, namespace: () => silent };

// kafkajs' own RequestQueue, as its connections use it: no broker, no mock of it.
function newQueue(maxInFlightRequests: number | null = null): Queue {
  const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue') as new (options: object) => Queue;
  return new RequestQueue({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: 'b:9092', logger: silent });
}

const request = (correlationId: number, sent: number[]): PushedRequest => ({
  entry: { correlationId, apiKey: 1, apiName: 'Fetch', apiVersion: 11, resolve: () => undefined, reject: () => undefined },
  expectResponse: true,
  sendRequest: () => sent.push(correlationId),
});

// kafkajs' own scheduling, kept before the fix replaces it.
const unfixed = kafkajsRequestQueue().prototype.scheduleCheckPendingRequests;

describe('the kafkajs request queue timer loop', () => {
  beforeAll(() => fixRequestQueueTimerLoop());

  it('is there without the fix: kafkajs arms a timer with nothing held back', () => {
    const queue = newQueue();
    unfixed.call(queue);
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    queue.destroy();
  });

  it('is the class kafkajs loads, patched once', () => {
    expect(kafkajsRequestQueue().prototype.scheduleCheckPendingRequests.name).toBe('scheduleCheckPendingRequests');
    expect(fixRequestQueueTimerLoop()).toBe(false);
  });

  it('schedules no check after a response when nothing is held back or throttled', () => {
    const queue = newQueue();
    const sent: number[] = [];
    queue.push(request(1, sent));
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    // kafkajs 2.2.4 armed a 1 ms timer here, which armed the next, for ever.
    expect(queue.throttleCheckTimeoutId).toBeNull();
    expect(sent).toEqual([1]);
    queue.destroy();
  });

  it('still sends a request held back by the in-flight limit once the one before is answered', async () => {
    const queue = newQueue(1);
    const sent: number[] = [];
    queue.push(request(1, sent));
    queue.push(request(2, sent));
    expect(sent).toEqual([1]);
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1, 2]);
    queue.fulfillRequest({ correlationId: 2, payload: Buffer.alloc(0), size: 0 });
    // The check armed while request 2 waited runs once more, finds nothing and arms no other.
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(queue.throttleCheckTimeoutId).toBeNull();
    queue.destroy();
  });

  it('sends a request held back by a broker throttle when the throttle ends', async () => {
    const queue = newQueue();
    const sent: number[] = [];
    queue.throttledUntil = Date.now() + 50;
    queue.push(request(1, sent));
    expect(sent).toEqual([]);
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(sent).toEqual([1]);
    queue.destroy();
  });
});
