import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderPage } from './page';
import { InvalidFaultError, parseFaultSpec, SinkStore } from './store';

/** Largest request body accepted, as Slack limits it: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface SlackSinkOptions {
  /** State to serve; a fresh SinkStore by default. */
  store?: SinkStore;
  /** Largest request body in bytes (default {@link DEFAULT_MAX_BODY_BYTES}); larger gets 413. */
  maxBodyBytes?: number;
  /** Called with errors the handlers did not expect (default: console.error). */
  onError?: (error: unknown) => void;
}

/** The sink's HTTP server (not listening yet) and the state behind it. */
export interface SlackSink {
  readonly server: Server;
  readonly store: SinkStore;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

type Body = { kind: 'ok'; bytes: Buffer } | { kind: 'too-large' } | { kind: 'aborted' };

const WEBHOOK_PREFIX = '/services/';

/**
 * Builds the Slack incoming-webhook stand-in. `POST /services/...` behaves like a Slack webhook
 * (or like a scripted fault); `/api/*` lets tests read what arrived and script faults; `GET /`
 * shows the messages. Call `server.listen()` to start it.
 */
export function createSlackSink(options: SlackSinkOptions = {}): SlackSink {
  const store = options.store ?? new SinkStore();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const onError =
    options.onError ?? ((error) => console.error('slack-sink: request failed', error));

  const readBody = async (req: IncomingMessage): Promise<Body> => {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      // Past the limit, keep reading but discard, so the client gets to read the 413.
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size <= maxBodyBytes) chunks.push(chunk);
      }
    } catch {
      return { kind: 'aborted' };
    }
    return size > maxBodyBytes
      ? { kind: 'too-large' }
      : { kind: 'ok', bytes: Buffer.concat(chunks) };
  };

  const webhook: Handler = async (req, res, url) => {
    const path = url.pathname;
    const body = await readBody(req);
    if (body.kind === 'aborted') return;

    const fault = store.takeFault(path);
    if (fault !== undefined) {
      store.recordAttempt(path, fault.status);
      if (fault.delayMs > 0) await sleep(fault.delayMs);
      const headers: Record<string, string> =
        fault.retryAfter === null ? {} : { 'retry-after': String(fault.retryAfter) };
      return sendText(res, fault.status, fault.body, headers);
    }

    if (body.kind === 'too-large') {
      store.recordAttempt(path, 413);
      return sendText(res, 413, 'request_too_large');
    }
    const payload = parseSlackPayload(req.headers['content-type'], body.bytes);
    if (!payload.ok) {
      store.recordAttempt(path, 400);
      return sendText(res, 400, payload.error);
    }
    store.recordMessage({ path, text: payload.text, body: payload.body, headers: req.headers });
    store.recordAttempt(path, 200);
    sendText(res, 200, 'ok');
  };

  const health: Handler = (_req, res) => sendJson(res, 200, { status: 'ok' });

  const routes = new Map<string, Readonly<Record<string, Handler>>>([
    [
      '/',
      {
        GET: (_req, res) => {
          res.writeHead(200, {
            'content-type': 'text/html; charset=utf-8',
            'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
            'cache-control': 'no-store',
          });
          res.end(renderPage(store.listMessages()));
        },
      },
    ],
    ['/healthz', { GET: health }],
    ['/readyz', { GET: health }],
    [
      '/api/messages',
      {
        GET: (_req, res, url) => {
          const path = url.searchParams.get('path') ?? undefined;
          const sinceText = url.searchParams.get('since');
          if (sinceText !== null && !/^\d+$/.test(sinceText)) {
            return sendJson(res, 400, {
              error: 'invalid_query',
              message: 'since must be a message id (a non-negative integer)',
            });
          }
          const since = sinceText === null ? undefined : Number(sinceText);
          sendJson(res, 200, { messages: store.listMessages({ path, since }) });
        },
        DELETE: (_req, res) => {
          store.clearMessages();
          sendNoContent(res);
        },
      },
    ],
    [
      '/api/attempts',
      { GET: (_req, res) => sendJson(res, 200, { attempts: store.listAttempts() }) },
    ],
    [
      '/api/faults',
      {
        GET: (_req, res) => sendJson(res, 200, { faults: store.listFaults() }),
        POST: async (req, res) => {
          const body = await readBody(req);
          if (body.kind === 'aborted') return;
          if (body.kind === 'too-large') return sendJson(res, 413, { error: 'request_too_large' });
          let spec;
          try {
            spec = parseFaultSpec(JSON.parse(body.bytes.toString('utf8')));
          } catch (error) {
            const message =
              error instanceof InvalidFaultError ? error.message : 'body must be JSON';
            return sendJson(res, 400, { error: 'invalid_fault', message });
          }
          sendJson(res, 201, { fault: store.addFault(spec) });
        },
        DELETE: (_req, res) => {
          store.clearFaults();
          sendNoContent(res);
        },
      },
    ],
  ]);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://slack-sink.invalid');
    const method = req.method ?? 'GET';
    const methods: Readonly<Record<string, Handler>> | undefined =
      url.pathname.startsWith(WEBHOOK_PREFIX) && url.pathname.length > WEBHOOK_PREFIX.length
        ? { POST: webhook }
        : routes.get(url.pathname);
    if (methods === undefined) {
      return sendJson(res, 404, {
        error: 'not_found',
        message: `no route ${method} ${url.pathname}`,
      });
    }
    const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (handler === undefined) {
      const allow = Object.keys(methods).join(', ');
      res.setHeader('allow', allow);
      return sendJson(res, 405, { error: 'method_not_allowed', message: `use ${allow}` });
    }
    await handler(req, res, url);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
      else res.destroy();
    });
  });
  return { server, store };
}

type SlackPayload =
  | { ok: true; text: string | null; body: Record<string, unknown> }
  | { ok: false; error: 'invalid_payload' | 'no_text' };

/**
 * Reads a webhook body the way Slack does: JSON, or a form with the JSON in its `payload` field;
 * it must carry non-empty `text`, `blocks` or `attachments`.
 */
function parseSlackPayload(contentType: string | undefined, bytes: Buffer): SlackPayload {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  let json: string | null;
  if (mediaType === 'application/json') {
    json = bytes.toString('utf8');
  } else if (mediaType === 'application/x-www-form-urlencoded') {
    json = new URLSearchParams(bytes.toString('utf8')).get('payload');
  } else {
    json = null;
  }
  if (json === null) return { ok: false, error: 'invalid_payload' };

  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch {
    return { ok: false, error: 'invalid_payload' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: 'invalid_payload' };
  }
  const record = body as Record<string, unknown>;
  const { text, blocks, attachments } = record;
  if (
    (text !== undefined && typeof text !== 'string') ||
    (blocks !== undefined && !Array.isArray(blocks))
  ) {
    return { ok: false, error: 'invalid_payload' };
  }
  const hasText = typeof text === 'string' && text.trim() !== '';
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  const hasAttachments = Array.isArray(attachments) && attachments.length > 0;
  if (!hasText && !hasBlocks && !hasAttachments) return { ok: false, error: 'no_text' };
  return { ok: true, text: typeof text === 'string' ? text : null, body: record };
}

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function sendNoContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}
