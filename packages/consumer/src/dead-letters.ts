import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { and, eq } from 'drizzle-orm';
import { HeraldError, RetryHeaders, topics } from '@herald/contracts';
import { deadLetterRedrives, type DatabaseHandle } from '@herald/db';
import { HeraldPartitioner, sendTraced } from '@herald/kafka';

/** Redrives of one letter beyond this are refused: a message that keeps failing is not looped. */
export const DEFAULT_MAX_REDRIVES = 3;

/** A dead-letter topic or letter that does not exist. */
export class DeadLetterNotFoundError extends HeraldError {
  constructor(what: string) {
    super('DEAD_LETTER_NOT_FOUND', `${what} not found`, { retriable: false });
  }
}

/** One dead-letter topic: `<group>.<topic>.dlq`. */
export interface DeadLetterTopic {
  dlq: string;
  group: string;
  topic: string;
  /** Letters still in the topic (purged ones excluded), redriven or not. */
  count: number;
  redriven: number;
}

/** One dead letter, with the story the transport wrote into its headers. */
export interface DeadLetter {
  /** `<partition>:<offset>` within its dead-letter topic. */
  id: string;
  dlq: string;
  partition: number;
  offset: string;
  key: string | null;
  /** The original value: parsed JSON when it is JSON, the raw text otherwise. */
  value: unknown;
  headers: Record<string, string>;
  error: { type: string; message: string; stack: string };
  attempts: number;
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  original: { topic: string; partition: number | null; offset: string | null };
  group: string;
  /** Times it had been redriven before it landed here this time. */
  redriveCount: number;
  /** Set once an operator redrove this letter. */
  redriven: { at: string; count: number } | null;
}

export interface RedriveReport {
  redriven: string[];
  refused: { id: string; reason: string }[];
}

/** Headers that describe one trip through retries; a redrive starts a fresh trip. */
const TRIP_HEADERS = new Set<string>([
  RetryHeaders.attempt,
  RetryHeaders.notBefore,
  RetryHeaders.firstAttemptAt,
  RetryHeaders.firstSeenAt,
  RetryHeaders.lastAttemptAt,
  RetryHeaders.errorType,
  RetryHeaders.errorCode,
  RetryHeaders.errorMessage,
  RetryHeaders.errorStack,
  RetryHeaders.group,
]);

function headerText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

function isoFromMillis(text: string | undefined): string | null {
  const ms = Number(text);
  return text !== undefined && Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * Lists, inspects, redrives and purges dead letters. A redrive sends a letter back to its group's
 * `<group>.<topic>.redrive` topic as a first attempt again (so only that group handles it), and
 * records it, so a letter is redriven once; a letter that already came back
 * `maxRedrives` times is refused.
 */
export class DeadLetters {
  private readonly maxRedrives: number;

  constructor(
    private readonly kafka: Kafka,
    private readonly database: DatabaseHandle,
    options: { maxRedrives?: number } = {},
  ) {
    this.maxRedrives = options.maxRedrives ?? DEFAULT_MAX_REDRIVES;
  }

  /** Splits `<group>.<topic>.dlq` using the contracts' topic names (a group may hold dots). */
  static parse(dlq: string): { group: string; topic: string } | undefined {
    if (!dlq.endsWith('.dlq')) return undefined;
    for (const topic of topics) {
      const suffix = `.${topic.name}.dlq`;
      if (dlq.endsWith(suffix) && dlq.length > suffix.length) {
        return { group: dlq.slice(0, -suffix.length), topic: topic.name };
      }
    }
    return undefined;
  }

  /** Every dead-letter topic on the cluster, with how many letters it holds. */
  async topics(): Promise<DeadLetterTopic[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const names = (await admin.listTopics()).filter((name) => DeadLetters.parse(name)).sort();
      const out: DeadLetterTopic[] = [];
      for (const dlq of names) {
        const parsed = DeadLetters.parse(dlq)!;
        const offsets = await admin.fetchTopicOffsets(dlq);
        const count = offsets.reduce((sum, p) => sum + (Number(p.high) - Number(p.low)), 0);
        const redriven = await this.database.db
          .select({ offset: deadLetterRedrives.offset })
          .from(deadLetterRedrives)
          .where(eq(deadLetterRedrives.dlqTopic, dlq));
        out.push({ dlq, ...parsed, count, redriven: redriven.length });
      }
      return out;
    } finally {
      await admin.disconnect();
    }
  }

  /** The letters of one dead-letter topic, oldest first, at most `limit`. */
  async list(dlq: string, limit = 100): Promise<DeadLetter[]> {
    const ranges = await this.ranges(dlq);
    const messages = await this.read(dlq, ranges, limit);
    return this.describe(dlq, messages);
  }

  /** One letter, by partition and offset. */
  async inspect(dlq: string, partition: number, offset: string): Promise<DeadLetter> {
    const ranges = await this.ranges(dlq);
    const range = ranges.find((r) => r.partition === partition);
    if (!range || BigInt(offset) < BigInt(range.from) || BigInt(offset) >= BigInt(range.to)) {
      throw new DeadLetterNotFoundError(`dead letter ${partition}:${offset} in ${dlq}`);
    }
    const [message] = await this.read(dlq, [{ partition, from: offset, to: String(BigInt(offset) + 1n) }], 1);
    if (!message) throw new DeadLetterNotFoundError(`dead letter ${partition}:${offset} in ${dlq}`);
    const [letter] = await this.describe(dlq, [message]);
    return letter!;
  }

  /**
   * Sends letters back to their group for a first attempt again: the given ids
   * (`<partition>:<offset>`), or every letter not redriven yet.
   */
  async redrive(dlq: string, ids: readonly string[] | 'all'): Promise<RedriveReport> {
    const parsed = DeadLetters.parse(dlq);
    if (!parsed) throw new DeadLetterNotFoundError(`dead-letter topic ${dlq}`);
    const letters = await this.list(dlq, 10_000);
    const wanted = ids === 'all' ? letters.filter((l) => l.redriven === null) : letters.filter((l) => ids.includes(l.id));
    const report: RedriveReport = { redriven: [], refused: [] };
    if (ids !== 'all') {
      for (const id of ids) if (!letters.some((l) => l.id === id)) report.refused.push({ id, reason: 'not found' });
    }
    const producer = this.kafka.producer({ idempotent: true, retry: { retries: 5 }, createPartitioner: HeraldPartitioner });
    await producer.connect();
    try {
      for (const letter of wanted) {
        if (letter.redriven) {
          report.refused.push({ id: letter.id, reason: `already redriven at ${letter.redriven.at}` });
          continue;
        }
        if (letter.redriveCount >= this.maxRedrives) {
          report.refused.push({ id: letter.id, reason: `redriven ${letter.redriveCount} times already (limit ${this.maxRedrives})` });
          continue;
        }
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(letter.headers)) if (!TRIP_HEADERS.has(name)) headers[name] = value;
        headers[RetryHeaders.attempt] = '1';
        headers[RetryHeaders.notBefore] = String(Date.now());
        headers[RetryHeaders.redriveCount] = String(letter.redriveCount + 1);
        // Traced as a child of the dead letter's own span: the redrive joins the signup's trace.
        await sendTraced(producer, {
          acks: -1,
          topicMessages: [
            {
              topic: `${parsed.group}.${parsed.topic}.redrive`,
              messages: [{ key: letter.key, value: typeof letter.value === 'string' ? letter.value : JSON.stringify(letter.value), headers }],
            },
          ],
        });
        await this.database.db
          .insert(deadLetterRedrives)
          .values({ dlqTopic: dlq, partition: letter.partition, offset: letter.offset, redriveCount: letter.redriveCount + 1 })
          .onConflictDoNothing();
        report.redriven.push(letter.id);
      }
    } finally {
      await producer.disconnect();
    }
    return report;
  }

  /** Deletes every letter of a dead-letter topic; returns how many there were. */
  async purge(dlq: string): Promise<number> {
    const ranges = await this.ranges(dlq);
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const count = ranges.reduce((sum, r) => sum + Number(BigInt(r.to) - BigInt(r.from)), 0);
      if (count > 0) {
        // deleteTopicRecords needs the topic's metadata in this admin's cache.
        await admin.fetchTopicMetadata({ topics: [dlq] });
        await admin.deleteTopicRecords({ topic: dlq, partitions: ranges.map((r) => ({ partition: r.partition, offset: r.to })) });
      }
      await this.database.db.delete(deadLetterRedrives).where(eq(deadLetterRedrives.dlqTopic, dlq));
      return count;
    } finally {
      await admin.disconnect();
    }
  }

  /** The offsets each partition holds, [from, to). Throws when the topic is not a dead-letter topic. */
  private async ranges(dlq: string): Promise<{ partition: number; from: string; to: string }[]> {
    if (!DeadLetters.parse(dlq)) throw new DeadLetterNotFoundError(`dead-letter topic ${dlq}`);
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(dlq)) throw new DeadLetterNotFoundError(`dead-letter topic ${dlq}`);
      const offsets = await admin.fetchTopicOffsets(dlq);
      return offsets.map((p) => ({ partition: p.partition, from: p.low, to: p.high }));
    } finally {
      await admin.disconnect();
    }
  }

  /** Reads the given offset ranges with a throwaway consumer that commits nothing. */
  private async read(
    dlq: string,
    ranges: readonly { partition: number; from: string; to: string }[],
    limit: number,
  ): Promise<(KafkaMessage & { partition: number })[]> {
    const pending = new Map(ranges.filter((r) => BigInt(r.to) > BigInt(r.from)).map((r) => [r.partition, r]));
    if (pending.size === 0) return [];
    const consumer = this.kafka.consumer({ groupId: `herald-dlq-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
    const out: (KafkaMessage & { partition: number })[] = [];
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: dlq, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const range = pending.get(partition);
          if (!range) return;
          const offset = BigInt(message.offset);
          if (offset >= BigInt(range.from) && offset < BigInt(range.to) && out.length < limit) out.push({ ...message, partition });
          if (offset >= BigInt(range.to) - 1n) pending.delete(partition);
          if (pending.size === 0 || out.length >= limit) finish();
        },
      });
      for (const range of pending.values()) consumer.seek({ topic: dlq, partition: range.partition, offset: range.from });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        finished,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`reading ${dlq} took longer than 30 s`)), 30_000);
        }),
      ]).finally(() => clearTimeout(timer));
    } finally {
      await consumer.disconnect();
    }
    return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  }

  private async describe(dlq: string, messages: (KafkaMessage & { partition: number })[]): Promise<DeadLetter[]> {
    const redrives = await this.database.db
      .select()
      .from(deadLetterRedrives)
      .where(and(eq(deadLetterRedrives.dlqTopic, dlq)));
    return messages.map((message) => {
      const headers = headerText(message.headers);
      const text = message.value?.toString('utf8') ?? '';
      let value: unknown = text;
      try {
        value = JSON.parse(text);
      } catch {
        /* kept as text: the letter may be there precisely because it is not JSON */
      }
      const redrive = redrives.find((r) => r.partition === message.partition && r.offset === message.offset);
      return {
        id: `${message.partition}:${message.offset}`,
        dlq,
        partition: message.partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? null,
        value,
        headers,
        error: {
          type: headers[RetryHeaders.errorType] ?? 'unknown',
          message: headers[RetryHeaders.errorMessage] ?? '',
          stack: headers[RetryHeaders.errorStack] ?? '',
        },
        attempts: Number(headers[RetryHeaders.attempt] ?? 0),
        firstAttemptAt: isoFromMillis(headers[RetryHeaders.firstAttemptAt]),
        lastAttemptAt: isoFromMillis(headers[RetryHeaders.lastAttemptAt]),
        original: {
          topic: headers[RetryHeaders.originalTopic] ?? DeadLetters.parse(dlq)?.topic ?? '',
          partition: headers[RetryHeaders.originalPartition] === undefined ? null : Number(headers[RetryHeaders.originalPartition]),
          offset: headers[RetryHeaders.originalOffset] ?? null,
        },
        group: headers[RetryHeaders.group] ?? DeadLetters.parse(dlq)?.group ?? '',
        redriveCount: Number(headers[RetryHeaders.redriveCount] ?? 0),
        redriven: redrive ? { at: redrive.redrivenAt.toISOString(), count: redrive.redriveCount } : null,
      };
    });
  }
}
