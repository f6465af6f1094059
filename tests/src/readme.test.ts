import fs from 'node:fs';
import path from 'node:path';
import { topics } from '@herald/contracts';

// The README's topic table is the contracts, written out: this fails when they drift.
function topicTable(): string {
  const rows = topics.map(
    (t) => `| \`${t.name}\` | \`${t.eventType}\` v${t.version} | \`${t.key}\` | ${t.partitions} | ${t.description} |`,
  );
  return ['| topic | event | key | partitions | what it means |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

describe('README.md', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

  it('lists every topic of packages/contracts, as the contracts say', () => {
    const match = /<!-- topics:begin -->\n([\s\S]*?)\n<!-- topics:end -->/.exec(readme);
    expect(match?.[1]).toBe(topicTable());
  });

  it('shows the two quickstart commands', () => {
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });
});
