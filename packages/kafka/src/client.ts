import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import { fixRequestQueueTimerLoop } from './request-queue';

/** What a Herald service needs to reach Kafka. */
export interface KafkaOptions {
  clientId: string;
  /** `host:port` pairs. */
  brokers: readonly string[];
  /** Where kafkajs' own log lines go; they are dropped below `warn`. */
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra: object) => void;
  /** Overrides for the underlying kafkajs configuration. */
  overrides?: Partial<KafkaConfig>;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Parses a comma-separated broker list (`KAFKA_BROKERS`). */
export function parseBrokers(text: string): string[] {
  const brokers = text
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) {
      throw new RangeError(`"${broker}" is not a Kafka broker address of the form host:port`);
    }
  }
  if (brokers.length === 0) throw new RangeError('no Kafka broker given');
  return brokers;
}

/**
 * How Herald's consumers fetch: the broker answers as soon as anything is waiting, or after
 * 500 ms with nothing. Batches still form under load, because kafkajs fetches again only once
 * the whole last fetch is handled: what arrived meanwhile comes in one fetch. Measured at 100
 * signups/s, waiting for 64 KiB or 50 ms (the setting before) used the same CPU and only added
 * up to 50 ms a hop; idle, its 20 empty fetches a second per consumer cost the four services and
 * Kafka 43% of a core between them, against about 20% now. A stopping consumer may wait for the
 * fetch in flight, up to 500 ms.
 */
export const FETCH_BATCHING = { minBytes: 1, maxWaitTimeInMs: 500 } as const;

/** Builds a kafkajs client with Herald's defaults. */
export function createKafka(options: KafkaOptions): Kafka {
  fixRequestQueueTimerLoop();
  const log = options.log;
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const { message, ...extra } = entry;
        const name = LEVELS[level] ?? 'info';
        if (log) log(name, `kafkajs ${namespace}: ${message}`, extra);
        else if (level <= logLevel.WARN) {
          process.stderr.write(`${JSON.stringify({ level: name, namespace, message, ...extra })}\n`);
        }
      },
    ...options.overrides,
  });
}
