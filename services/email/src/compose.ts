import { createHash } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';
import type { RenderedEmail } from './templates';

/** The sender, parsed once from MAIL_FROM: its From header value and its envelope address. */
export interface Sender {
  header: string;
  address: string;
}

/** What `composeEmail` writes. */
export interface ComposableEmail extends RenderedEmail {
  to: string;
  messageId: string;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Parses MAIL_FROM (`Herald <no-reply@herald.local>` or a bare address) into the From header,
 * its display name encoded as nodemailer encodes it, and the envelope address.
 */
export function senderOf(from: string): Sender {
  const [parsed] = addressparser(from, { flatten: true });
  if (!parsed?.address || !PRINTABLE_ASCII.test(parsed.address)) {
    throw new RangeError(`MAIL_FROM "${from}" has no ASCII email address`);
  }
  const name = parsed.name.trim();
  if (!name) return { header: parsed.address, address: parsed.address };
  const encoded = /^[\w ]*$/.test(name)
    ? name
    : PRINTABLE_ASCII.test(name)
      ? `"${name.replace(/([\\"])/g, '\\$1')}"`
      : mimeFuncs.encodeWord(name, 'B', 52);
  return { header: `${encoded} <${parsed.address}>`, address: parsed.address };
}

/**
 * A body part's encoding and content: 7bit as it is (CRLF line ends) when it is printable ASCII in
 * lines of at most 998 characters, else UTF-8 in base64 lines of 76 characters (RFC 2045).
 */
function encodeBody(text: string): { encoding: '7bit' | 'base64'; content: string } {
  if (/^[\x20-\x7e\n]*$/.test(text) && text.split('\n').every((line) => line.length <= 998)) {
    return { encoding: '7bit', content: text.replace(/\n/g, '\r\n').replace(/(?<!\r\n)$/, '\r\n') };
  }
  const base64 = Buffer.from(text, 'utf8').toString('base64');
  return { encoding: 'base64', content: `${(base64.match(/.{1,76}/g) ?? []).join('\r\n')}\r\n` };
}

/**
 * The whole RFC 5322 message of one of Herald's emails: a text and an HTML part
 * (multipart/alternative), UTF-8 (7bit when plain ASCII, else base64), and the subject as RFC 2047 encoded words when
 * it is not plain ASCII. Handed to nodemailer as `raw`, it skips nodemailer's general MIME
 * composer, which was about two fifths of the email service's SMTP cost. Undefined when the
 * recipient is not an ASCII address: such an email goes through nodemailer's composer, which
 * knows punycode and SMTPUTF8.
 */
export function composeEmail(email: ComposableEmail, sender: Sender, date: Date = new Date()): string | undefined {
  if (!PRINTABLE_ASCII.test(email.to) || !PRINTABLE_ASCII.test(email.messageId)) return undefined;
  // Unique to the message: no body line can be this boundary by chance.
  const boundary = `--_herald_${createHash('sha256').update(email.messageId).digest('hex').slice(0, 16)}`;
  const subject = PRINTABLE_ASCII.test(email.subject) ? email.subject : mimeFuncs.encodeWords(email.subject, 'B', 52);
  const headers = [
    `From: ${sender.header}`,
    `To: ${email.to}`,
    mimeFuncs.foldLines(`Subject: ${subject}`, 76),
    `Message-ID: ${email.messageId}`,
    `Date: ${date.toUTCString().replace(/GMT/, '+0000')}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
  ];
  const part = (type: string, body: string): string => {
    const { encoding, content } = encodeBody(body);
    return `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${content}`;
  };
  return `${headers.join('\r\n')}\r\n\r\n${part('text/plain', email.text)}${part('text/html', email.html)}--${boundary}--\r\n`;
}
