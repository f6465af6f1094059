/** A rendered email: subject and bodies, with the user's values made inert. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an HTML body: a name never becomes markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * One line, no control characters: a value never adds a header through a subject line. The
 * contracts already refuse CR/LF in names; this holds whatever the input.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function page(title: string, paragraphs: string[]): string {
  const body = paragraphs.map((p) => `<p>${p}</p>`).join('\n');
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body>\n${body}\n</body></html>\n`;
}

/** The tutorial's welcome email. */
export function welcomeEmail(fullName: string): RenderedEmail {
  const name = oneLine(fullName);
  return {
    subject: `Welcome ${name}!`,
    text: `Hello ${name}, welcome to our platform!\n`,
    html: page(`Welcome ${escapeHtml(name)}!`, [`Hello ${escapeHtml(name)}, welcome to our platform!`]),
  };
}

/** The tutorial's follow-up, sent three days (FOLLOW_UP_DELAY) after the welcome email. */
export function followUpEmail(fullName: string): RenderedEmail {
  const name = oneLine(fullName);
  return {
    subject: 'How are you finding our platform?',
    text: `Hi ${name}, we'd love to hear your feedback!\n`,
    html: page('How are you finding our platform?', [`Hi ${escapeHtml(name)}, we&#39;d love to hear your feedback!`]),
  };
}

/** An operator alert for the admin address. */
export function alertEmail(severity: string, message: string): RenderedEmail {
  const subjectLine = oneLine(message).slice(0, 120);
  return {
    subject: `[${severity.toUpperCase()}] ${subjectLine}`,
    text: `Alert (${severity}):\n\n${message}\n`,
    html: page('Alert', [
      `Alert (<strong>${escapeHtml(severity)}</strong>):`,
      escapeHtml(message).replace(/\r?\n/g, '<br>'),
    ]),
  };
}
