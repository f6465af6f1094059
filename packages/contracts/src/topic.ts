import { randomUUID } from 'node:crypto';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ContractViolationError, type Violation } from './errors';
import './formats';

/** Largest event, correlation and causation id Herald accepts, in characters. */
export const MAX_ID_LENGTH = 64;
/** Largest encoded event Herald writes or reads, in bytes. */
export const MAX_EVENT_BYTES = 256 * 1024;

const Id = Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH, pattern: '^[A-Za-z0-9_.:-]+$' });

/**
 * The one envelope every Herald event travels in (DESIGN.md, "Events").
 * `correlationId` is the request that started it all (a signup) and is shared by every event it
 * causes; `causationId` is the id of the event that caused this one, or null for the first.
 */
export interface Envelope<TType extends string = string, TData = unknown> {
  /** Unique per event; consumers process an id once per consumer group. */
  id: string;
  type: TType;
  version: number;
  /** RFC 3339 time at which the fact happened. */
  occurredAt: string;
  correlationId: string;
  causationId: string | null;
  data: TData;
}

/** A Kafka topic and the one event type it carries. Never renamed: a breaking change is a new version. */
export interface Topic<TType extends string = string, TData extends TSchema = TSchema> {
  /** Topic name, ending in its version: `user.created.v1`. */
  readonly name: string;
  readonly eventType: TType;
  readonly version: number;
  /** Partition count the topic is created with. Events are keyed by entity id. */
  readonly partitions: number;
  /** What the key is (documentation, and the README's topic table). */
  readonly key: string;
  readonly description: string;
  /** Schema of `data`. */
  readonly data: TData;
  /** Schema of the whole envelope. */
  readonly schema: TSchema;
  /** @internal compiled validator of the envelope */
  readonly check: TypeCheck<TSchema>;
}

/** The event a topic carries. */
export type EventOf<T extends Topic> =
  T extends Topic<infer TType, infer TData> ? Envelope<TType, Static<TData>> : never;

/** The data of the event a topic carries. */
export type DataOf<T extends Topic> = T extends Topic<string, infer TData> ? Static<TData> : never;

export interface TopicOptions<TType extends string, TData extends TSchema> {
  eventType: TType;
  version: number;
  /** Name without the version suffix: `user.created`. */
  baseName: string;
  partitions: number;
  key: string;
  description: string;
  data: TData;
}

/** Defines a topic: its versioned name, the schema of its envelope and a compiled validator. */
export function defineTopic<TType extends string, TData extends TSchema>(
  options: TopicOptions<TType, TData>,
): Topic<TType, TData> {
  if (!Number.isInteger(options.version) || options.version < 1) {
    throw new RangeError(`topic ${options.baseName}: version must be a positive integer`);
  }
  const name = `${options.baseName}.v${options.version}`;
  const schema = Type.Object(
    {
      id: Id,
      type: Type.Literal(options.eventType),
      version: Type.Literal(options.version),
      occurredAt: Type.String({ format: 'date-time' }),
      correlationId: Id,
      causationId: Type.Union([Id, Type.Null()]),
      data: options.data,
    },
    { additionalProperties: false, $id: name },
  );
  return Object.freeze({
    name,
    eventType: options.eventType,
    version: options.version,
    partitions: options.partitions,
    key: options.key,
    description: options.description,
    data: options.data,
    schema,
    check: TypeCompiler.Compile(schema),
  });
}

/** What ties a new event to the ones before it. */
export interface Causation {
  correlationId: string;
  causationId: string | null;
}

/** Builds a new event for `topic` with a fresh id and the current time. */
export function newEvent<T extends Topic>(
  topic: T,
  data: DataOf<T>,
  causation?: Partial<Causation>,
  now: Date = new Date(),
): EventOf<T> {
  const id = randomUUID();
  const event = {
    id,
    type: topic.eventType,
    version: topic.version,
    occurredAt: now.toISOString(),
    correlationId: causation?.correlationId ?? id,
    causationId: causation?.causationId ?? null,
    data,
  };
  return assertEvent(topic, event);
}

/** Builds the event that `cause` caused: same correlation, causation = cause's id. */
export function followUpOf(cause: Envelope): Causation {
  return { correlationId: cause.correlationId, causationId: cause.id };
}

/** Validates `value` against the topic's envelope and returns it typed; throws ContractViolationError. */
export function assertEvent<T extends Topic>(topic: T, value: unknown): EventOf<T> {
  if (topic.check.Check(value)) return value as EventOf<T>;
  const violations: Violation[] = [];
  for (const error of topic.check.Errors(value)) {
    violations.push({ path: error.path, message: error.message });
    if (violations.length >= 20) break;
  }
  throw new ContractViolationError(`event on ${topic.name}`, violations);
}

/** Validates and serialises an event for the wire (validation on the way out). */
export function encodeEvent<T extends Topic>(topic: T, event: EventOf<T>): Buffer {
  assertEvent(topic, event);
  const bytes = Buffer.from(JSON.stringify(event), 'utf8');
  if (bytes.length > MAX_EVENT_BYTES) {
    throw new ContractViolationError(`event on ${topic.name}`, [
      { path: '', message: `is ${bytes.length} bytes, more than ${MAX_EVENT_BYTES}` },
    ]);
  }
  return bytes;
}

/** Parses and validates a message value from the wire (validation on the way in). */
export function decodeEvent<T extends Topic>(topic: T, value: Buffer | string | null): EventOf<T> {
  if (value === null || value.length === 0) {
    throw new ContractViolationError(`message on ${topic.name}`, [
      { path: '', message: 'has no value (tombstone or empty message)' },
    ]);
  }
  if (value.length > MAX_EVENT_BYTES) {
    throw new ContractViolationError(`message on ${topic.name}`, [
      { path: '', message: `is ${value.length} bytes, more than ${MAX_EVENT_BYTES}` },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    throw new ContractViolationError(`message on ${topic.name}`, [
      { path: '', message: `is not JSON (${(error as Error).message})` },
    ]);
  }
  return assertEvent(topic, parsed);
}
