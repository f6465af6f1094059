import { createRequire } from 'node:module';
import { kafkajsEncoder, useLeanEncoderBuffers } from './encoder-buffers';

type Encoded = { buffer: Buffer };
type ProduceRequest = (options: object) => { encode: () => Promise<Encoded> };

// kafkajs' own produce request (v3: record batches with varint lengths, keys and headers).
const load = createRequire(__filename);
const produceV3 = load('kafkajs/src/protocol/requests/produce/v3/request') as ProduceRequest;
const Long = load('kafkajs/src/utils/long') as { fromInt(value: number): unknown };

const text = (bytes: number, seed: number): string =>
  Array.from({ length: bytes }, (_, i) => String.fromCharCode(97 + ((i * 7 + seed) % 26))).join('');

/** A produce request with what Herald sends: keys, JSON values, headers; values small and large. */
function request(): { encode: () => Promise<Encoded> } {
  const sizes = [0, 1, 63, 64, 65, 300, 511, 512, 4095, 4096, 9000, 70_000];
  const messages = sizes.map((size, i) => ({
    key: `user-${i}`,
    value: Buffer.from(text(size, i)),
    timestamp: 1_764_000_000_000 + i * 1000,
    headers: {
      traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
      'herald-event-type': 'FollowUpRequested',
      'herald-empty': '',
      'herald-long': text(5000, i),
      'herald-many': ['1', '2', '3'],
    },
  }));
  return produceV3({
    acks: -1,
    timeout: 30_000,
    producerId: Long.fromInt(4242),
    producerEpoch: 3,
    topicData: [
      { topic: 'follow-up.requested.v1', partitions: [{ partition: 0, firstSequence: 17, messages }, { partition: 5, firstSequence: 0, messages: messages.slice(0, 3) }] },
      { topic: 'notification.status.v1', partitions: [{ partition: 2, firstSequence: 2 ** 31 - 1, messages: messages.slice(3) }] },
    ],
  });
}

/** kafkajs' varint encodings of values around every length boundary, signed and unsigned. */
function varints(): Buffer {
  const Encoder = kafkajsEncoder() as unknown as new () => { writeVarInt(v: number): unknown; writeUVarInt(v: number): unknown; buffer: Buffer };
  const encoder = new Encoder();
  for (const value of [0, 1, -1, 63, -64, 64, 127, 128, 8191, 8192, 16_383, 16_384, 2 ** 21, 2 ** 28, 2 ** 31 - 1, -(2 ** 31)]) {
    encoder.writeVarInt(value);
    if (value >= 0) encoder.writeUVarInt(value);
  }
  return encoder.buffer;
}

describe('lean kafkajs encoder buffers', () => {
  // kafkajs' own bytes, before the change.
  let before: { produce: Buffer; varints: Buffer; initialBytes: number };

  beforeAll(async () => {
    const Encoder = kafkajsEncoder();
    before = { produce: (await request().encode()).buffer, varints: varints(), initialBytes: new Encoder().buf.length };
    expect(useLeanEncoderBuffers()).toBe(true);
  });

  it('start an encoder with 64 bytes instead of 512', () => {
    const Encoder = kafkajsEncoder();
    expect(before.initialBytes).toBe(512);
    expect(new Encoder().buf.length).toBe(64);
  });

  it('encode a produce request to the very bytes kafkajs did', async () => {
    const after = (await request().encode()).buffer;
    expect(after.length).toBe(before.produce.length);
    expect(after.equals(before.produce)).toBe(true);
  });

  it('encode every varint length as kafkajs did', () => {
    expect(varints().equals(before.varints)).toBe(true);
  });

  it("grow into Node's shared pool when small and into memory of their own when large", () => {
    const Encoder = kafkajsEncoder();
    const small = new Encoder();
    small.ensureAvailable(600);
    expect(small.buf.length).toBe(1024);
    expect(small.buf.buffer.byteLength).toBe(Buffer.poolSize);
    const large = new Encoder();
    large.ensureAvailable(Buffer.poolSize);
    expect(large.buf.length).toBe(2 * Buffer.poolSize);
    expect(large.buf.buffer.byteLength).toBe(2 * Buffer.poolSize);
  });

  it('is installed once per process', () => {
    expect(useLeanEncoderBuffers()).toBe(false);
  });
});
