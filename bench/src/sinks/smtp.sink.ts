import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { nowMs } from '../clock.ts';

/** Which of the flow's emails a message is, told by its subject. */
export type MailKind = 'welcome' | 'follow-up' | 'other';

/** When the sink accepted each kind of email for one recipient (wall-clock ms). */
export interface Arrivals {
  welcome?: number;
  followUp?: number;
  /** Emails beyond the first of a kind: redeliveries. */
  duplicates: number;
  /** Of those, welcome emails beyond the first. */
  welcomeDuplicates: number;
}

const FOLLOW_UP_SUBJECT = 'How are you finding our platform?';

/** Reads the Subject header out of the first bytes of a message. */
export function kindOf(head: string): MailKind {
  const match = /^subject:[ \t]*(.*)$/im.exec(head.split(/\r?\n\r?\n/, 1)[0] ?? '');
  const subject = match?.[1]?.trim() ?? '';
  if (subject.startsWith('Welcome ')) return 'welcome';
  if (subject === FOLLOW_UP_SUBJECT) return 'follow-up';
  return 'other';
}

/**
 * A counting SMTP server: accepts every message, keeps nothing but the time it accepted each
 * recipient's welcome and follow-up email. Much faster than Mailpit (~100 mails/s), so that the
 * sink is not what a throughput run measures.
 */
export class SmtpSink {
  readonly arrivals = new Map<string, Arrivals>();
  accepted = 0;
  /** Told of every change to an entry (the sinks' worker forwards them to the harness). */
  onChange: ((address: string, entry: Arrivals) => void) | undefined;
  private server: SMTPServer | undefined;
  port = 0;

  /** Listens on `port` (0: any free one; a restart after an outage passes the old one). */
  async start(port = 0): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      maxClients: 1000,
      size: 1024 * 1024,
      onData: (stream, session, callback) => this.onData(stream, session, callback),
    });
    const server = this.server;
    server.on('error', () => undefined);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  private onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void): void {
    let head = '';
    stream.on('data', (chunk: Buffer) => {
      if (head.length < 4096) head += chunk.toString('latin1');
    });
    stream.on('end', () => {
      const at = nowMs();
      const kind = kindOf(head);
      for (const rcpt of session.envelope.rcptTo) this.record(rcpt.address.toLowerCase(), kind, at);
      this.accepted += 1;
      callback();
    });
  }

  private record(address: string, kind: MailKind, at: number): void {
    if (kind === 'other') return;
    let entry = this.arrivals.get(address);
    if (!entry) {
      entry = { duplicates: 0, welcomeDuplicates: 0 };
      this.arrivals.set(address, entry);
    }
    const field = kind === 'welcome' ? 'welcome' : 'followUp';
    if (entry[field] === undefined) entry[field] = at;
    else {
      entry.duplicates += 1;
      if (kind === 'welcome') entry.welcomeDuplicates += 1;
    }
    this.onChange?.(address, entry);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    // Connections in progress are cut, as when the mail server goes down: nothing half-accepted.
    for (const connection of (server as unknown as { connections: Set<{ close(): void }> }).connections ?? []) connection.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
