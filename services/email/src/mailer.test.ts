import { toSmtpError, withoutAddresses } from './mailer';

describe('SMTP errors', () => {
  it.each([
    ['550 5.1.1 <ada@example.com>: Recipient address rejected', '550 5.1.1 <[address]>: Recipient address rejected'],
    ['Can\'t send mail - all recipients were rejected: 550 ada.l+x@mail.example.org', 'Can\'t send mail - all recipients were rejected: 550 [address]'],
    ['452 too many recipients: "a@b.c", "d@e.f"', '452 too many recipients: "[address]", "[address]"'],
    ['connect ECONNREFUSED 127.0.0.1:1025', 'connect ECONNREFUSED 127.0.0.1:1025'],
  ])('takes the addresses out of %j', (text, expected) => {
    expect(withoutAddresses(text)).toBe(expected);
  });

  const nodemailerError = (fields: Record<string, unknown>) =>
    Object.assign(new Error('Message failed: 550 5.1.1 <ada@example.com> unknown'), {
      envelope: { from: 'herald@example.com', to: ['ada@example.com'] },
      rejected: ['ada@example.com'],
      ...fields,
    });

  it.each([
    ['a 5xx answer', { responseCode: 550, response: '550 5.1.1 <ada@example.com> unknown' }, 'SMTP_PERMANENT', false],
    ['a 4xx answer', { responseCode: 451, response: '451 4.7.1 ada@example.com greylisted' }, 'SMTP_TRANSIENT', true],
    ['no answer', { code: 'ECONNECTION' }, 'SMTP_UNAVAILABLE', true],
  ])('classifies %s and keeps neither the address nor nodemailer’s error', (_what, fields, code, retriable) => {
    const error = toSmtpError(nodemailerError(fields));
    expect({ code: error.code, retriable: error.retriable }).toEqual({ code, retriable });
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify({ ...error, text: error.message, stack: error.stack })).not.toContain('ada@example.com');
  });
});
