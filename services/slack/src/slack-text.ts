/**
 * Escapes text for Slack's mrkdwn: `&`, `<` and `>` are the only characters Slack parses as
 * control sequences (`<!channel>`, `<@U123>`, `<https://x|label>`), so with them escaped user text
 * can mention no one and hide no link. Control characters become spaces.
 */
export function escapeSlack(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    // eslint-disable-next-line no-control-regex -- control characters are what it removes
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]+/g, ' ');
}

/** The "new signup" announcement. */
export function signupMessage(user: { fullName: string; username: string; email: string }): { text: string } {
  return {
    text: `:wave: New signup: *${escapeSlack(user.fullName)}* (${escapeSlack(user.username)}, ${escapeSlack(user.email)})`,
  };
}

const SEVERITY_ICON: Record<string, string> = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' };

/** An alert for the alerts channel. */
export function alertMessage(alert: { severity: string; message: string }): { text: string } {
  return { text: `${SEVERITY_ICON[alert.severity] ?? ''} *${alert.severity.toUpperCase()}*: ${escapeSlack(alert.message)}`.trim() };
}
