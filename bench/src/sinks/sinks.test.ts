import { kindOf } from './smtp.sink.ts';
import { emailOf } from './slack.sink.ts';

describe('kindOf', () => {
  it('tells the welcome and follow-up emails by subject, headers only', () => {
    expect(kindOf('From: a@b\r\nSubject: Welcome Ada Lovelace!\r\n\r\nbody')).toBe('welcome');
    expect(kindOf('subject: How are you finding our platform?\r\nTo: x@y\r\n\r\n')).toBe('follow-up');
    expect(kindOf('From: a@b\r\n\r\nSubject: Welcome in the body\r\n')).toBe('other');
  });
});

describe('emailOf', () => {
  it('finds the address in the signup text', () => {
    expect(emailOf(':wave: New signup: *Ada* (ada.l, Ada@Example.com)')).toBe('ada@example.com');
    expect(emailOf('no address')).toBeUndefined();
  });
});
