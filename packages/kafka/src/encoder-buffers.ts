import { createRequire } from 'node:module';

/** The parts of kafkajs' internal Encoder (every request, record and header is one) the change touches. */
export interface EncoderInternals {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): EncoderInternals;
}

/** kafkajs' Encoder class: its statics and its prototype. */
export interface EncoderClass {
  new (initialSize?: number): EncoderInternals;
  prototype: EncoderInternals;
  nextPowerOfTwo(value: number): number;
}

// The initial size kafkajs 2.2.4 gives every `new Encoder()` (rounded up to 512 bytes).
const KAFKAJS_INITIAL_SIZE = 511;
// Typed arrays up to 64 bytes live on V8's heap: no backing store of their own to allocate.
const INITIAL_BYTES = 64;
// The longest unsigned varint of 32 bits.
const MAX_VARINT_BYTES = 5;

/**
 * kafkajs 2.2.4 (its last release) gives every Encoder (one per record, per header and per part
 * of a request) a zero-filled 512-byte `Buffer.alloc` of its own, grows it by `Buffer.alloc` and
 * a copy, and writes each varint through a temporary array and `Buffer.from`. While the scheduler
 * drained a backlog, building those buffers was 10% of its CPU and the garbage collector 8%.
 *
 * Here an encoder starts with 64 bytes and grows into `Buffer.allocUnsafe`, which Node serves from
 * its shared pool below half of `Buffer.poolSize`; varints are written in place. The bytes are the same: an
 * encoder writes every byte below its offset before anything reads it (its `buffer` is
 * `buf[0, offset)`), so memory it has not written is never sent.
 */
function ensureAvailable(this: EncoderInternals, length: number): void {
  const needed = this.offset + length;
  if (needed <= this.buf.length) return;
  const grown = Buffer.allocUnsafe(powerOfTwoAbove(needed));
  this.buf.copy(grown, 0, 0, this.offset);
  this.buf = grown;
}

/** kafkajs' unsigned LEB128 varint, written straight into the buffer. */
function writeUVarInt(this: EncoderInternals, value: number): EncoderInternals {
  this.ensureAvailable(MAX_VARINT_BYTES);
  let rest = value;
  while ((rest & 0xffffff80) !== 0) {
    this.buf[this.offset++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  this.buf[this.offset++] = rest & 0x7f;
  return this;
}

/** The smallest power of two above `value` (kafkajs' rule: 512 for 511 and for 512 alike). */
function powerOfTwoAbove(value: number): number {
  return 1 << (31 - Math.clz32(value) + 1);
}

/** kafkajs' Encoder class: the module `require('kafkajs')` itself loads. */
export function kafkajsEncoder(): EncoderClass {
  const load = createRequire(__filename);
  return load('kafkajs/src/protocol/encoder') as EncoderClass;
}

let installed = false;

/** Installs the change once per process; `createKafka` calls it. Returns whether this call installed it. */
export function useLeanEncoderBuffers(): boolean {
  if (installed) return false;
  const Encoder = kafkajsEncoder();
  const nextPowerOfTwo = Encoder.nextPowerOfTwo.bind(Encoder);
  // The constructor is the only caller left with kafkajs' initial size: `ensureAvailable` no
  // longer asks, and no request of kafkajs 2.2.4 passes a size of its own.
  Encoder.nextPowerOfTwo = (value) =>
    value === KAFKAJS_INITIAL_SIZE ? INITIAL_BYTES : nextPowerOfTwo(value);
  Encoder.prototype.ensureAvailable = ensureAvailable;
  Encoder.prototype.writeUVarInt = writeUVarInt;
  installed = true;
  return true;
}
