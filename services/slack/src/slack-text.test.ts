import { alertMessage, escapeSlack, signupMessage } from './slack-text';

describe('Slack text', () => {
  it('makes mentions and links inert', () => {
    expect(escapeSlack('<!channel> <@U123> <https://evil.example|click> & co')).toBe(
      '&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; &amp; co',
    );
  });

  it('announces a signup with the values escaped', () => {
    const { text } = signupMessage({ fullName: '<!here> Eve', username: 'eve', email: 'eve@example.com' });
    expect(text).toBe(':wave: New signup: *&lt;!here&gt; Eve* (eve, eve@example.com)');
    expect(text).not.toMatch(/<!/);
  });

  it('formats an alert by severity', () => {
    expect(alertMessage({ severity: 'critical', message: 'disk <full>' }).text).toBe(':rotating_light: *CRITICAL*: disk &lt;full&gt;');
  });
});
