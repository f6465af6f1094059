import { randomBytes, randomUUID } from 'node:crypto';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { HeraldPartitioner, murmur2, partitionOfKey } from './partitioner';

function metadata(partitions: number, leaderless: readonly number[] = []): PartitionerArgs['partitionMetadata'] {
  return Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));
}

describe('murmur2', () => {
  // The expectations of Kafka's own UtilsTest.testMurmur2 (Java client).
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j to %d as the Java client does', (key, expected) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(expected);
  });
});

describe('HeraldPartitioner', () => {
  it("picks the same partition as kafkajs' DefaultPartitioner for every key", () => {
    const ours = HeraldPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    const keys: (string | Buffer)[] = [
      '',
      'é',
      'ключ-🔑',
      ...Array.from({ length: 2000 }, () => randomUUID()),
      ...Array.from({ length: 500 }, (_, i) => randomBytes(i % 67)),
      ...Array.from({ length: 500 }, (_, i) => randomBytes(i % 40).toString('base64')),
    ];
    let differing = 0;
    for (const partitions of [1, 3, 6, 7, 12]) {
      const partitionMetadata = metadata(partitions);
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata, message: { key, value: null } };
        if (ours(args) !== theirs(args)) differing += 1;
      }
    }
    expect(differing).toBe(0);
  });

  it("keeps a message's own partition", () => {
    const pick = HeraldPartitioner();
    expect(pick({ topic: 't', partitionMetadata: metadata(6), message: { key: 'k', value: null, partition: 4 } })).toBe(4);
  });

  it('spreads unkeyed messages round-robin over the partitions that have a leader', () => {
    const pick = HeraldPartitioner();
    const partitionMetadata = metadata(4, [1]);
    const seen = Array.from({ length: 9 }, () => pick({ topic: 't', partitionMetadata, message: { value: 'v' } }));
    expect(new Set(seen)).toEqual(new Set([0, 2, 3]));
    // Consecutive picks cycle: every third is the same.
    expect(seen.slice(3, 6)).toEqual(seen.slice(0, 3));
  });

  it('hashes a string key as its UTF-8 bytes', () => {
    expect(partitionOfKey('ключ', 7)).toBe(partitionOfKey(Buffer.from('ключ', 'utf8'), 7));
  });
});
