import type { Logger } from 'pino';
import { Headers } from '@herald/contracts';
import { toMessage } from '@herald/kafka';
import { AttemptTimeoutError } from './errors';
import type { ValidDelivery, FailureRouting } from './failure-routing';
import type { HandlerContext } from './handler';
import type { OwedMessage } from './processed.store';

/** An attempt cut short because the consumer's stop ran out of grace. */
export class AttemptCutError extends Error {
  constructor() {
    super('the consumer stopped before the attempt finished');
    this.name = 'AttemptCutError';
  }
}

export type AttemptResult =
  /** `skipped`: the reason the handler gave for owing the event nothing. */
  | { ok: true; emitted: OwedMessage[]; skipped?: string }
  /** `cut`: aborted by a stop, so neither done nor failed: it is left for the next run. */
  | { ok: false; error: unknown; cut: boolean };

/**
 * Runs a handler once on a delivery, within the policy's startToCloseTimeout, and collects what it
 * emits. The attempt's `signal` reaches the SMTP and HTTP calls; it aborts at the timeout (a
 * retriable failure) or when `cut` aborts (a stop out of grace: the attempt is left unfinished).
 */
export async function runAttempt(d: ValidDelivery, logger: Logger, routing: FailureRouting, cut: AbortSignal): Promise<AttemptResult> {
  const { registration, event, message, headers, attempt } = d;
  const { policy } = registration;
  const emitted: OwedMessage[] = [];
  let skipped: string | undefined;
  const abort = new AbortController();
  const timeout = setTimeout(() => abort.abort(new AttemptTimeoutError(policy.startToCloseTimeout)), policy.startToCloseTimeout);
  const onCut = (): void => abort.abort(new AttemptCutError());
  if (cut.aborted) onCut();
  else cut.addEventListener('abort', onCut, { once: true });
  const context: HandlerContext = {
    event,
    key: message.key?.toString('utf8') ?? '',
    headers,
    attempt,
    signal: abort.signal,
    topic: registration.topic.name,
    logger,
    emit: (topic, key, value, extraHeaders) => {
      const built = toMessage(topic, key, value);
      emitted.push({ topic: topic.name, message: { ...built, headers: { ...built.headers, [Headers.attempt]: String(attempt), ...extraHeaders } } });
    },
    status: (status, extra) => {
      const built = routing.statusMessage(d, status, extra);
      if (!built) throw new Error(`${registration.name}: status() needs a describe() on the registration`);
      emitted.push(built);
    },
    skip: (reason) => {
      skipped = reason;
    },
  };
  try {
    await Promise.race([
      registration.handle(context),
      new Promise<never>((_, reject) => {
        abort.signal.addEventListener('abort', () => reject(abort.signal.reason as Error), { once: true });
      }),
    ]);
    return skipped === undefined ? { ok: true, emitted } : { ok: true, emitted, skipped };
  } catch (error) {
    return { ok: false, error, cut: error instanceof AttemptCutError };
  } finally {
    clearTimeout(timeout);
    cut.removeEventListener('abort', onCut);
  }
}
