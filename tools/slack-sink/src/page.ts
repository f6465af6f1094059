import type { SlackMessage } from './store';

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for use in HTML content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

export interface PageOptions {
  /** Most messages shown, newest first (default 200). */
  limit?: number;
  /** Seconds between automatic reloads (default 2). */
  refreshSeconds?: number;
}

/**
 * The sink's HTML page: received messages newest first, every value escaped, reloading itself.
 * Self-contained (inline CSS, no scripts), so it works offline under a strict CSP.
 * @param messages accepted messages, oldest first, as the store lists them
 */
export function renderPage(messages: readonly SlackMessage[], options: PageOptions = {}): string {
  const limit = options.limit ?? 200;
  const refresh = options.refreshSeconds ?? 2;
  const shown = messages.slice(-limit).reverse();
  const summary =
    messages.length === 0
      ? 'No messages yet. POST one to <code>/services/T000/B000/channel</code>.'
      : messages.length > shown.length
        ? `Showing the newest ${shown.length} of ${messages.length} messages.`
        : `${messages.length} message${messages.length === 1 ? '' : 's'}.`;
  const items = shown.map(renderMessage).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="${refresh}">
<title>Slack sink</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
  li { border-top: 1px solid #ddd; padding: .75rem 0; list-style: none; }
  ol { padding: 0; }
  .meta { color: #666; font-size: 12px; }
  .channel { font-weight: 600; color: #1264a3; }
  pre { white-space: pre-wrap; word-break: break-word; margin: .25rem 0 0; font: inherit; }
  pre.json { font: 12px/1.3 ui-monospace, monospace; color: #444; }
</style>
</head>
<body>
<h1>Slack sink</h1>
<p>${summary}</p>
<ol>
${items}
</ol>
</body>
</html>
`;
}

function renderMessage(message: SlackMessage): string {
  const content =
    message.text !== null
      ? `<pre>${escapeHtml(message.text)}</pre>`
      : `<pre class="json">${escapeHtml(truncate(JSON.stringify(message.body, null, 2), 2000))}</pre>`;
  return `<li>
  <div class="meta">#${message.id} · <span class="channel">${escapeHtml(message.channel)}</span> · ${escapeHtml(message.path)} · <time>${escapeHtml(message.receivedAt)}</time></div>
  ${content}
</li>`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
