import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { HeraldError } from '@herald/contracts';
import { inSpan, SpanKind } from '@herald/telemetry';
import { composeEmail, senderOf, type Sender } from './compose';
import type { RenderedEmail } from './templates';

export interface OutgoingEmail extends RenderedEmail {
  to: string;
  /** RFC 5322 Message-ID, derived from the event that caused the email. */
  messageId: string;
}

/** SMTP failures the transport can decide on: 4xx and connection trouble retry, 5xx does not. */
export class SmtpError extends HeraldError {
  constructor(
    code: 'SMTP_TRANSIENT' | 'SMTP_PERMANENT' | 'SMTP_UNAVAILABLE' | 'SMTP_RECIPIENT_REJECTED',
    message: string,
    retriable: boolean,
    readonly responseCode?: number,
  ) {
    super(code, message, { retriable });
  }
}

// Anything shaped like an address: a server's answer often quotes the recipient (`550 <ada@…>`).
const ADDRESS = /[^\s<>"'(),;:[\]]+@[^\s<>"'(),;:[\]]+/g;

/** The text with every email address in it replaced by `[address]`. */
export function withoutAddresses(text: string): string {
  return text.replace(ADDRESS, '[address]');
}

/**
 * Maps a nodemailer failure to an SmtpError. Its message goes to logs, spans, the timeline and
 * dead letters, so it quotes no address, and nodemailer's own error (which does, and holds the
 * envelope) is not kept as its cause.
 */
export function toSmtpError(error: unknown): SmtpError {
  const e = error as Error & { responseCode?: number; code?: string; response?: string };
  const detail = withoutAddresses(e.response ?? e.message);
  if (typeof e.responseCode === 'number') {
    if (e.responseCode >= 500) return new SmtpError('SMTP_PERMANENT', `SMTP ${detail}`, false, e.responseCode);
    if (e.responseCode >= 400) return new SmtpError('SMTP_TRANSIENT', `SMTP ${detail}`, true, e.responseCode);
  }
  return new SmtpError('SMTP_UNAVAILABLE', `SMTP server unreachable: ${e.code ?? ''} ${withoutAddresses(e.message)}`.trim(), true);
}

/**
 * Sends email through a pooled SMTP transport. An aborted attempt (startToCloseTimeout) closes
 * the pool, which tears down its connections, so a server that accepts and never answers cannot
 * hold the attempt; the next send opens a new pool.
 */
export class Mailer {
  private transport: Transporter<SMTPPool.SentMessageInfo>;
  /** The SMTP server, as span attributes (parsed once, not per message). */
  private readonly serverAttributes: { 'server.address': string; 'server.port': number };
  /** MAIL_FROM, parsed and encoded once. */
  private readonly sender: Sender;

  constructor(
    private readonly smtpUrl: string,
    private readonly from: string,
    private readonly poolSize: number,
  ) {
    this.sender = senderOf(from);
    this.transport = this.createTransport();
    const server = new URL(smtpUrl);
    this.serverAttributes = {
      'server.address': server.hostname,
      'server.port': Number(server.port || (server.protocol === 'smtps:' ? 465 : 587)),
    };
  }

  private createTransport(): Transporter<SMTPPool.SentMessageInfo> {
    const url = new URL(this.smtpUrl);
    return nodemailer.createTransport({
      pool: true,
      maxConnections: this.poolSize,
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 25)),
      secure: url.protocol === 'smtps:',
      ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  /** Sends one email; resolves with the server's acceptance, throws an SmtpError. */
  async send(email: OutgoingEmail, signal: AbortSignal): Promise<void> {
    const attributes = { ...this.serverAttributes, 'herald.email.message_id': email.messageId };
    // nodemailer speaks SMTP over plain sockets, which no instrumentation sees: a span of our own.
    await inSpan('smtp send', { kind: SpanKind.CLIENT, attributes }, () => this.sendNow(email, signal));
  }

  private async sendNow(email: OutgoingEmail, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const onAbort = (): void => {
      const stuck = this.transport;
      this.transport = this.createTransport();
      stuck.close();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const raw = composeEmail(email, this.sender);
      const info = await this.transport.sendMail(
        raw === undefined
          ? { from: this.from, to: email.to, subject: email.subject, text: email.text, html: email.html, messageId: email.messageId }
          : // The Message-ID is in the raw message; given here too, nodemailer does not make one of its own.
            { envelope: { from: this.sender.address, to: [email.to] }, raw, messageId: email.messageId },
      );
      if (info.rejected.length > 0) {
        throw new SmtpError('SMTP_RECIPIENT_REJECTED', 'SMTP rejected the recipient', false);
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw error instanceof SmtpError ? error : toSmtpError(error);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** True when the SMTP server answers a NOOP handshake. */
  async verify(): Promise<boolean> {
    return this.transport.verify().then(
      () => true,
      () => false,
    );
  }

  close(): void {
    this.transport.close();
  }
}

/** `<event-id@domain>`: the same event always gives the same Message-ID. */
export function messageIdFor(eventId: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'herald.local';
  return `<${eventId}@${domain}>`;
}
