import type { Producer } from 'kafkajs';
import { RenewingProducer } from './renewing-producer';

/** A stand-in producer that records its life and fails the sends it is told to. */
function fakeProducers(failSends: readonly number[]) {
  const made: { id: number; connected: boolean; sends: number }[] = [];
  let sends = 0;
  const create = (): Producer => {
    const me = { id: made.length + 1, connected: false, sends: 0 };
    made.push(me);
    return {
      connect: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        me.connected = true;
      },
      disconnect: async () => {
        me.connected = false;
      },
      sendBatch: async () => {
        sends += 1;
        me.sends += 1;
        if (failSends.includes(sends)) throw new Error(`send ${sends} failed`);
        return [];
      },
    } as unknown as Producer;
  };
  return { made, create };
}

const batch = { topicMessages: [{ topic: 't', messages: [{ key: 'k', value: 'v' }] }] };

describe('RenewingProducer', () => {
  it('keeps one producer while its sends succeed, connecting it once for concurrent callers', async () => {
    const { made, create } = fakeProducers([]);
    const producer = new RenewingProducer(create);
    await Promise.all([producer.connect(), producer.send(batch), producer.send(batch)]);
    await producer.send(batch);
    expect(made).toEqual([{ id: 1, connected: true, sends: 3 }]);
  });

  it('throws a failed send and sends the next one with a new producer, never the old one', async () => {
    const { made, create } = fakeProducers([2]);
    const producer = new RenewingProducer(create);
    await producer.send(batch);
    await expect(producer.send(batch)).rejects.toThrow('send 2 failed');
    await producer.send(batch);
    await producer.send(batch);
    expect(made).toEqual([
      { id: 1, connected: false, sends: 2 },
      { id: 2, connected: true, sends: 2 },
    ]);
    await producer.disconnect();
    expect(made[1]!.connected).toBe(false);
  });
});
