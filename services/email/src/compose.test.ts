import { composeEmail, senderOf } from './compose';
import { welcomeEmail } from './templates';

const sender = senderOf('Herald <no-reply@herald.local>');
const date = new Date('2026-11-28T08:00:00Z');

/** The decoded parts of a composed message: headers (unfolded) and the two bodies. */
function parse(raw: string) {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const headers = Object.fromEntries(
    head
      .replace(/\r\n[ \t]/g, ' ')
      .split('\r\n')
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
  );
  const boundary = /boundary="([^"]+)"/.exec(headers['Content-Type'] ?? '')?.[1] ?? '';
  const parts = rest.join('\r\n\r\n').split(`--${boundary}`).slice(1, -1);
  const bodies = parts.map((p) => {
    const [partHead = '', body = ''] = p.replace(/^\r\n/, '').split('\r\n\r\n');
    const [type, encoding] = partHead.split('\r\n');
    const text = encoding?.endsWith('base64') ? Buffer.from(body.replace(/\r\n/g, ''), 'base64').toString('utf8') : body.replace(/\r\n/g, '\n');
    return { type, encoding, text };
  });
  return { headers, bodies, boundary, end: raw.endsWith(`--${boundary}--\r\n`) };
}

/** RFC 2047 encoded words back to text (the space between two adjacent words is not text). */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/gi, (_, b64: string) => Buffer.from(b64, 'base64').toString('utf8'));
}

describe('composeEmail', () => {
  it('writes a multipart/alternative message with both bodies, the Message-ID and the sender', () => {
    const rendered = welcomeEmail('Ada Lovelace');
    const raw = composeEmail({ ...rendered, to: 'ada@example.com', messageId: '<e1@herald.local>' }, sender, date);
    if (raw === undefined) throw new Error('expected a raw message');
    const { headers, bodies, end } = parse(raw);
    expect(headers).toMatchObject({
      From: 'Herald <no-reply@herald.local>',
      To: 'ada@example.com',
      Subject: 'Welcome Ada Lovelace!',
      'Message-ID': '<e1@herald.local>',
      Date: 'Sat, 28 Nov 2026 08:00:00 +0000',
      'MIME-Version': '1.0',
    });
    // Plain ASCII goes as it is, readable in the message source.
    expect(bodies).toEqual([
      { type: 'Content-Type: text/plain; charset=utf-8', encoding: 'Content-Transfer-Encoding: 7bit', text: rendered.text },
      { type: 'Content-Type: text/html; charset=utf-8', encoding: 'Content-Transfer-Encoding: 7bit', text: rendered.html },
    ]);
    expect(end).toBe(true);
  });

  it('encodes a name that is not ASCII in the subject as RFC 2047 words, lines at most 78 characters', () => {
    const name = 'Zoë Ångström-Łukasiewicz 日本語の名前 with a long tail to fold over several lines';
    const raw = composeEmail({ ...welcomeEmail(name), to: 'zoe@example.com', messageId: '<e2@herald.local>' }, sender, date);
    if (raw === undefined) throw new Error('expected a raw message');
    expect(raw).toMatch(/^[\x20-\x7e\r\n]*$/);
    expect(Math.max(...raw.split('\r\n').map((line) => line.length))).toBeLessThanOrEqual(78);
    const { headers, bodies } = parse(raw);
    expect(decodeWords(headers.Subject ?? '')).toBe(`Welcome ${name}!`);
    expect(bodies[0]).toMatchObject({ encoding: 'Content-Transfer-Encoding: base64', text: `Hello ${name}, welcome to our platform!\n` });
  });

  it('leaves a recipient that is not ASCII to nodemailer (punycode, SMTPUTF8)', () => {
    expect(composeEmail({ ...welcomeEmail('Ada'), to: 'ada@exämple.com', messageId: '<e3@herald.local>' }, sender, date)).toBeUndefined();
  });
});

describe('senderOf', () => {
  it('reads a bare address, a plain name, a name to quote and a name to encode', () => {
    expect(senderOf('no-reply@herald.local')).toEqual({ header: 'no-reply@herald.local', address: 'no-reply@herald.local' });
    expect(senderOf('Herald <a@b.io>')).toEqual({ header: 'Herald <a@b.io>', address: 'a@b.io' });
    expect(senderOf('"Herald, Inc." <a@b.io>').header).toBe('"Herald, Inc." <a@b.io>');
    expect(decodeWords(senderOf('Hérald <a@b.io>').header.replace(' <a@b.io>', ''))).toBe('Hérald');
  });

  it('refuses a MAIL_FROM without an address', () => {
    expect(() => senderOf('Herald')).toThrow(/MAIL_FROM "Herald" has no ASCII email address/);
  });
});
