/** Request headers as recorded: lowercased names, credentials removed. */
export type RecordedHeaders = Readonly<Record<string, string | readonly string[]>>;

/** A webhook message the sink accepted. */
export interface SlackMessage {
  /** Increases by one per accepted message and never restarts, even after a clear. */
  readonly id: number;
  /** ISO 8601 time the request arrived. */
  readonly receivedAt: string;
  /** Request path, e.g. `/services/T000/B000/signups`. */
  readonly path: string;
  /** Last segment of the path, e.g. `signups`. */
  readonly channel: string;
  /** The payload's `text`, or null when it had only blocks or attachments. */
  readonly text: string | null;
  /** The parsed JSON payload. */
  readonly body: Readonly<Record<string, unknown>>;
  readonly headers: RecordedHeaders;
}

/** One webhook request, accepted or not, and the status it was answered with. */
export interface WebhookAttempt {
  readonly id: number;
  readonly receivedAt: string;
  readonly path: string;
  readonly status: number;
}

/** What a test asks for when it scripts a failure (the body of `POST /api/faults`). */
export interface FaultSpec {
  /** Path prefix the fault applies to; any webhook path when absent. */
  path?: string;
  /** HTTP status to answer with (200-599). */
  status: number;
  /** Plain-text body; defaults to Slack's error for the status (see {@link defaultFaultBody}). */
  body?: string;
  /** Seconds, sent as the Retry-After header. */
  retryAfter?: number;
  /** How many requests the fault answers before it is used up (default 1). */
  times?: number;
  /** Milliseconds to wait before answering, to simulate a slow server (default 0). */
  delayMs?: number;
}

/** A scripted failure waiting in the queue. */
export interface Fault {
  readonly id: number;
  readonly path: string | null;
  readonly status: number;
  readonly body: string;
  readonly retryAfter: number | null;
  readonly delayMs: number;
  /** Requests it will still answer. */
  readonly remaining: number;
}

/** Thrown by {@link parseFaultSpec} for a fault request it cannot use; the message says why. */
export class InvalidFaultError extends Error {
  override readonly name = 'InvalidFaultError';
}

/** The message Slack sends with each error status; `error` for any other status. */
export function defaultFaultBody(status: number): string {
  switch (status) {
    case 403:
      return 'invalid_token';
    case 404:
      return 'no_service';
    case 410:
      return 'channel_is_archived';
    case 429:
      return 'rate_limited';
    case 500:
      return 'internal_error';
    default:
      return 'error';
  }
}

/** Checks an untrusted fault request (parsed JSON) and returns it typed, or throws InvalidFaultError. */
export function parseFaultSpec(value: unknown): FaultSpec {
  if (!isRecord(value)) throw new InvalidFaultError('a fault must be a JSON object');
  const { path, status, body, retryAfter, times, delayMs } = value;
  if (!isIntegerIn(status, 200, 599)) {
    throw new InvalidFaultError('status must be an integer from 200 to 599');
  }
  const spec: FaultSpec = { status };
  if (path !== undefined) {
    if (typeof path !== 'string') throw new InvalidFaultError('path must be a string');
    spec.path = path;
  }
  if (body !== undefined) {
    if (typeof body !== 'string') throw new InvalidFaultError('body must be a string');
    spec.body = body;
  }
  if (retryAfter !== undefined) {
    if (!isIntegerIn(retryAfter, 0, Number.MAX_SAFE_INTEGER)) {
      throw new InvalidFaultError('retryAfter must be a whole number of seconds, 0 or more');
    }
    spec.retryAfter = retryAfter;
  }
  if (times !== undefined) {
    if (!isIntegerIn(times, 1, Number.MAX_SAFE_INTEGER)) {
      throw new InvalidFaultError('times must be an integer, 1 or more');
    }
    spec.times = times;
  }
  if (delayMs !== undefined) {
    if (!isIntegerIn(delayMs, 0, 2_147_483_647)) {
      throw new InvalidFaultError('delayMs must be a whole number of milliseconds, 0 or more');
    }
    spec.delayMs = delayMs;
  }
  return spec;
}

/** What the transport knows about an accepted message; the store adds id, time and channel. */
export interface NewMessage {
  path: string;
  text: string | null;
  body: Readonly<Record<string, unknown>>;
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** Filters for {@link SinkStore.listMessages}. */
export interface MessageFilter {
  /** Only messages whose path starts with this. */
  path?: string;
  /** Only messages with an id greater than this. */
  since?: number;
}

export interface SinkStoreOptions {
  /** Messages kept before the oldest are dropped (default 10,000); attempts are capped alike. */
  maxMessages?: number;
  /** Clock, for tests. */
  now?: () => Date;
}

/** Headers never recorded, so a test run's credentials do not end up on the page or in JSON. */
const DROPPED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/**
 * In-memory state of the sink: accepted messages, every webhook attempt, and the queue of
 * scripted faults. No I/O; the HTTP layer in app.ts decides what to record.
 */
export class SinkStore {
  readonly #maxMessages: number;
  readonly #now: () => Date;
  #messages: SlackMessage[] = [];
  #attempts: WebhookAttempt[] = [];
  #faults: { -readonly [K in keyof Fault]: Fault[K] }[] = [];
  #nextMessageId = 1;
  #nextAttemptId = 1;
  #nextFaultId = 1;

  constructor(options: SinkStoreOptions = {}) {
    this.#maxMessages = options.maxMessages ?? 10_000;
    this.#now = options.now ?? (() => new Date());
  }

  /** Records an accepted message, dropping the oldest beyond the cap. */
  recordMessage(input: NewMessage): SlackMessage {
    const headers: Record<string, string | readonly string[]> = {};
    for (const [name, value] of Object.entries(input.headers)) {
      const lower = name.toLowerCase();
      if (value !== undefined && !DROPPED_HEADERS.has(lower)) headers[lower] = value;
    }
    const message: SlackMessage = {
      id: this.#nextMessageId++,
      receivedAt: this.#now().toISOString(),
      path: input.path,
      channel: channelOf(input.path),
      text: input.text,
      body: input.body,
      headers,
    };
    pushCapped(this.#messages, message, this.#maxMessages);
    return message;
  }

  /** Records that a webhook request to `path` was answered with `status`. */
  recordAttempt(path: string, status: number): WebhookAttempt {
    const attempt: WebhookAttempt = {
      id: this.#nextAttemptId++,
      receivedAt: this.#now().toISOString(),
      path,
      status,
    };
    pushCapped(this.#attempts, attempt, this.#maxMessages);
    return attempt;
  }

  /** Accepted messages, oldest first. */
  listMessages(filter: MessageFilter = {}): SlackMessage[] {
    const { path, since } = filter;
    return this.#messages.filter(
      (m) =>
        (path === undefined || m.path.startsWith(path)) && (since === undefined || m.id > since),
    );
  }

  /** Webhook attempts, oldest first. */
  listAttempts(): WebhookAttempt[] {
    return [...this.#attempts];
  }

  /** Forgets all messages and attempts (ids keep increasing). */
  clearMessages(): void {
    this.#messages = [];
    this.#attempts = [];
  }

  /** Appends a fault to the queue. */
  addFault(spec: FaultSpec): Fault {
    const fault = {
      id: this.#nextFaultId++,
      path: spec.path ?? null,
      status: spec.status,
      body: spec.body ?? defaultFaultBody(spec.status),
      retryAfter: spec.retryAfter ?? null,
      delayMs: spec.delayMs ?? 0,
      remaining: spec.times ?? 1,
    };
    this.#faults.push(fault);
    return { ...fault };
  }

  /**
   * Uses up one answer of the first fault whose path prefix matches `path` and returns it, or
   * returns undefined when none matches. A fault is removed once used up.
   */
  takeFault(path: string): Fault | undefined {
    const index = this.#faults.findIndex((f) => f.path === null || path.startsWith(f.path));
    const fault = this.#faults[index];
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return { ...fault };
  }

  /** Faults still queued, in the order they are matched. */
  listFaults(): Fault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  /** Empties the fault queue. */
  clearFaults(): void {
    this.#faults = [];
  }
}

/** The last non-empty segment of a path: the channel name of a `/services/T/B/<channel>` hook. */
export function channelOf(path: string): string {
  return (
    path
      .split('/')
      .filter((segment) => segment !== '')
      .at(-1) ?? ''
  );
}

function pushCapped<T>(list: T[], item: T, cap: number): void {
  list.push(item);
  if (list.length > cap) list.splice(0, list.length - cap);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
