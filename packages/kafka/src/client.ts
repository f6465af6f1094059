import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import { useLeanEncoderBuffers } from './encoder-buffers';
import { fixRequestQueueTimerLoop } from './request-queue';

/** What a Herald service needs to reach Kafka. */
export interface KafkaOptions {
  clientId: string;
  /** `host:port` pairs. */
  brokers: readonly string[];
  /** TLS and SASL, as `kafkaConnection` reads them from the KAFKA_TLS* and KAFKA_SASL_* variables. */
  security?: KafkaSecurity;
  /** Where kafkajs' own log lines go; they are dropped below `warn`. */
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra: object) => void;
  /** Overrides for the underlying kafkajs configuration. */
  overrides?: Partial<KafkaConfig>;
}

/** TLS and SASL settings of a kafkajs client. */
export type KafkaSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>;

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

/** Builds a kafkajs client with Herald's defaults. */
export function createKafka(options: KafkaOptions): Kafka {
  fixRequestQueueTimerLoop();
  useLeanEncoderBuffers();
  const log = options.log;
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...options.security,
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
