import { alertEmail, escapeHtml, followUpEmail, oneLine, welcomeEmail } from './templates';

describe('email templates', () => {
  it('use the tutorial texts', () => {
    expect(welcomeEmail('John Doe')).toMatchObject({
      subject: 'Welcome John Doe!',
      text: 'Hello John Doe, welcome to our platform!\n',
    });
    expect(followUpEmail('John Doe')).toMatchObject({
      subject: 'How are you finding our platform?',
      text: "Hi John Doe, we'd love to hear your feedback!\n",
    });
  });

  it('escape markup in the HTML body', () => {
    const mail = welcomeEmail('<script>alert(1)</script> & "Bob"');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Bob&quot;');
    expect(mail.html).not.toContain('<script>');
  });

  it('keep a subject on one line whatever the name', () => {
    expect(welcomeEmail('Eve\r\nBcc: all@example.com').subject).toBe('Welcome Eve Bcc: all@example.com!');
    expect(oneLine('a\u0000b\tc')).toBe('a b c');
    expect(alertEmail('critical', 'disk\nfull').subject).toBe('[CRITICAL] disk full');
  });

  it('escape every HTML special character', () => {
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });
});
