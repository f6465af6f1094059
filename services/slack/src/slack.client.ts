import { request } from 'undici';
import { HeraldError } from '@herald/contracts';

export type SlackErrorCode =
  | 'SLACK_RATE_LIMITED'
  | 'SLACK_UNAVAILABLE'
  | 'SLACK_BAD_REQUEST'
  | 'SLACK_FORBIDDEN'
  | 'SLACK_NOT_FOUND'
  | 'SLACK_GONE'
  | 'SLACK_REJECTED';

/** A webhook failure: 429, 5xx and network errors retry; 400, 403, 404 and 410 do not. */
export class SlackError extends HeraldError {
  readonly retryAfterMs?: number;

  constructor(code: SlackErrorCode, message: string, retriable: boolean, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(code, message, { retriable, cause: options.cause });
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

const PERMANENT: Record<number, SlackErrorCode> = {
  400: 'SLACK_BAD_REQUEST',
  403: 'SLACK_FORBIDDEN',
  404: 'SLACK_NOT_FOUND',
  410: 'SLACK_GONE',
};

/** Retry-After in seconds (or an HTTP date) to milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Posts to Slack incoming webhooks with undici. */
export class SlackClient {
  /** Posts a message; resolves when Slack answered 200, throws a SlackError otherwise. */
  async post(url: string, message: { text: string }, signal: AbortSignal): Promise<void> {
    let response;
    try {
      response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...message, link_names: false, unfurl_links: false }),
        signal,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new SlackError('SLACK_UNAVAILABLE', `Slack webhook unreachable: ${(error as Error).message}`, true, { cause: error });
    }
    const body = (await response.body.text()).slice(0, 200);
    if (response.statusCode === 200) return;
    if (response.statusCode === 429) {
      const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      throw new SlackError('SLACK_RATE_LIMITED', `Slack answered 429 ${body}`, true, retryAfterMs === undefined ? {} : { retryAfterMs });
    }
    if (response.statusCode >= 500) {
      throw new SlackError('SLACK_UNAVAILABLE', `Slack answered ${response.statusCode} ${body}`, true);
    }
    throw new SlackError(PERMANENT[response.statusCode] ?? 'SLACK_REJECTED', `Slack answered ${response.statusCode} ${body}`, false);
  }
}
