import { escapeHtml, renderPage } from './page';
import type { SlackMessage } from './store';

const message = (id: number, text: string | null, path = '/services/T/B/c'): SlackMessage => ({
  id,
  receivedAt: '2030-01-01T00:00:00.000Z',
  path,
  channel: 'c',
  text,
  body: text === null ? { blocks: [{ type: 'section', text: '<b>' }] } : { text },
  headers: {},
});

describe('escapeHtml', () => {
  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('renderPage', () => {
  it('escapes text, paths and block JSON', () => {
    const html = renderPage([message(1, null, '/services/<i>'), message(2, '<img src=x>')]);
    expect(html).not.toMatch(/<(img|b|i)[ >]/);
    expect(html).toContain('&lt;img src=x&gt;');
    expect(html).toContain('/services/&lt;i&gt;');
    expect(html).toContain('&lt;b&gt;');
  });

  it('shows the newest messages first, up to the limit', () => {
    const html = renderPage([message(1, 'one'), message(2, 'two'), message(3, 'three')], {
      limit: 2,
    });
    expect(html).not.toContain('>one<');
    expect(html.indexOf('three')).toBeLessThan(html.indexOf('two'));
    expect(html).toContain('newest 2 of 3');
  });
});
