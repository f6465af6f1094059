import type { SystemName } from '../plan.ts';
import type { BenchProcess } from './child-process.ts';

/** Addresses of the bench's own sinks and infrastructure, given to a system under test. */
export interface SystemEnvironment {
  runId: string;
  root: string;
  logDir: string;
  databaseUrl: string;
  kafkaBrokers: string;
  redisUrl: string;
  /** host:port of Temporal's frontend. */
  temporalAddress: string;
  smtpUrl: string;
  slackWebhookUrl: string;
  followUpDelayMs: number;
  /**
   * RETRY_POLICY for Herald's services: undefined gives the bench's own (the peer's policy, for a
   * like-for-like run), '{}' each service's defaults.
   */
  retryPolicy?: string;
  /** Where Herald's services export traces (OTLP/HTTP), and the share of traces they sample. */
  otlpUrl: string;
  traceRatio: number;
  /** When set, Herald's services write a V8 CPU profile each (`herald-<service>.cpuprofile`) here on exit. */
  cpuProfileDir?: string;
}

/** One follow-up to fall due at a given time. */
export interface DueFollowUp {
  email: string;
  username: string;
}

/** A notification pipeline the harness drives: Herald or one of its peers. */
export interface SystemUnderTest {
  readonly name: SystemName;
  /** Where POST /api/v1/users is. */
  readonly apiUrl: string;
  /** Headers a signup carries: the credential its api asks for, if any. Known once started. */
  signupHeaders(): Record<string, string>;
  start(): Promise<void>;
  /** The system's own processes, for CPU and memory. */
  processes(): BenchProcess[];
  /** Makes follow-ups fall due together at `dueAt` (wall-clock ms), delivered by the email path. */
  scheduleFollowUps(items: readonly DueFollowUp[], dueAt: number): Promise<void>;
  /**
   * The most delayed messages its drain takes, when fewer than the plan's: a system that drains a
   * few dozen a second would take an hour over the plan's 100,000.
   */
  readonly maxDrain?: number;
  /**
   * Stores `count` delayed messages all due at `dueAt` (ms), handed on to nothing that sends email,
   * and resolves with the time the last left the scheduler (ms).
   */
  drain(count: number, dueAt: number): Promise<{ insertedAt: number; lastLeftAt: number }>;
  stop(): Promise<void>;
}
