import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { waitFor } from './wait-for';

/** Runs one parameterised SQL statement: a pg Pool's `query`, for instance. */
export type SqlQuery = (text: string, values: unknown[]) => Promise<{ rows: unknown[] }>;

/**
 * The three strings `text` shows as inside base64 (which consumer_outbox uses for binary Kafka
 * values), one for each offset modulo 3 at which it may start: the characters that depend on its
 * bytes alone.
 */
export function base64Forms(text: string): string[] {
  const bytes = Buffer.from(text);
  return [0, 1, 2].map((lead) => {
    const encoded = Buffer.concat([Buffer.alloc(lead), bytes]).toString('base64');
    const whole = Math.floor((lead + bytes.length) / 3) * 4;
    return encoded.slice([0, 2, 3][lead], whole);
  });
}

/**
 * The tables of the public schema with a row that holds `text`, in any case, as written or inside
 * base64: each row read whole as its text (`t::text`), every column and JSON value included. For
 * checking that nothing keeps what was erased.
 */
export async function tablesHolding(query: SqlQuery, text: string): Promise<string[]> {
  const { rows } = await query(
    `select table_name as name from information_schema.tables
     where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
    [],
  );
  const needles = [text.toLowerCase(), ...base64Forms(text)];
  const holding: string[] = [];
  for (const { name } of rows as { name: string }[]) {
    const table = `"${name.replaceAll('"', '""')}"`;
    const found = await query(
      `select 1 from ${table} t
       where strpos(lower(t::text), $1) > 0 or strpos(t::text, $2) > 0 or strpos(t::text, $3) > 0 or strpos(t::text, $4) > 0
       limit 1`,
      needles,
    );
    if (found.rows.length > 0) holding.push(name);
  }
  return holding;
}

/** One partition's records to read: from `from` up to, not including, `to`. */
interface Range {
  topic: string;
  partition: number;
  from: bigint;
  to: bigint;
}

/**
 * The topics on the broker with a record written since `since` (epoch ms) whose key, value or a
 * header holds one of `texts`, in any case or inside base64: every topic (retry, redrive and
 * dead-letter topics included), every partition, read from its first record at `since` up to its
 * high watermark as this call found it. Reading from `since` keeps it fast on a broker holding
 * other runs' records. For checking that Kafka keeps nothing of an erased user.
 */
export async function topicsHolding(kafka: Kafka, texts: readonly string[], since: number): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ranges: Range[];
  try {
    const names = (await admin.listTopics()).filter((name) => !name.startsWith('__'));
    const perTopic = await Promise.all(
      names.map(async (topic) => {
        const [starts, ends] = await Promise.all([admin.fetchTopicOffsetsByTimestamp(topic, since), admin.fetchTopicOffsets(topic)]);
        return ends.map(({ partition, high }): Range => {
          const start = starts.find((s) => s.partition === partition)?.offset ?? '-1';
          return { topic, partition, from: BigInt(start === '-1' ? high : start), to: BigInt(high) };
        });
      }),
    );
    ranges = perTopic.flat().filter((r) => r.from < r.to);
  } finally {
    await admin.disconnect();
  }
  if (ranges.length === 0) return [];

  const needles = texts.flatMap((text) => [text.toLowerCase(), ...base64Forms(text)]);
  const holding = new Set<string>();
  const left = new Set(ranges.map((r) => `${r.topic}/${r.partition}`));
  const consumer = kafka.consumer({ groupId: `erasure-check-${randomUUID()}`, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...new Set(ranges.map((r) => r.topic))] });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const range = ranges.find((r) => r.topic === topic && r.partition === partition);
        if (!range || BigInt(message.offset) >= range.to) return;
        const headers = Object.values(message.headers ?? {}).flat().map((v) => String(v));
        const text = [message.key?.toString('utf8') ?? '', message.value?.toString('utf8') ?? '', ...headers].join('\n');
        const lower = text.toLowerCase();
        if (needles.some((needle) => lower.includes(needle) || text.includes(needle))) holding.add(topic);
        if (BigInt(message.offset) + 1n >= range.to) left.delete(`${topic}/${partition}`);
      },
    });
    for (const r of ranges) consumer.seek({ topic: r.topic, partition: r.partition, offset: String(r.from) });
    await waitFor(() => left.size === 0, { timeoutMs: 60_000, description: `every record since ${new Date(since).toISOString()} on ${ranges.length} partitions` });
  } finally {
    await consumer.disconnect();
  }
  return [...holding].sort();
}
