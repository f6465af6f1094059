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

  it("copies its performance table from the full run it cites, each row with the ratio to BullMQ", () => {
    const section = readme.slice(readme.indexOf('## Performance'));
    const cited = /Full output:\s*\[(bench\/results\/[\w-]+-full\.md)\]/.exec(section)?.[1];
    expect(cited).toBeDefined();
    const results = fs.readFileSync(path.resolve(__dirname, '../..', cited!), 'utf8');
    expect(fs.existsSync(path.resolve(__dirname, '../..', cited!.replace(/\.md$/, '.json')))).toBe(true);
    const firstTable = /\| figure \| Herald \| BullMQ \| Herald\/BullMQ \|\n\| --- .*\n((?:\|.*\n)+)/.exec(section)?.[1];
    const rows = (firstTable ?? '').trim().split('\n');
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      // figure, Herald, BullMQ, ratio (a number, or a dash where one side is 0 or absent).
      expect(row).toMatch(/^\| [^|]+ \| [\d.–]+ \| [\d.–]+ \| [\d.–]+ \|$/);
      expect(results.split('\n')).toContain(row);
    }
  });

  it('copies its fault table from the fault run it cites', () => {
    const section = /<!-- faults:begin -->\n([\s\S]*?)\n<!-- faults:end -->/.exec(readme)?.[1] ?? '';
    const cited = /\[(bench\/results\/[\w-]+-faults\.md)\]/.exec(section)?.[1];
    expect(cited).toBeDefined();
    const results = fs.readFileSync(path.resolve(__dirname, '../..', cited!), 'utf8').split('\n');
    const rows = section.split('\n').filter((line) => line.startsWith('| '));
    // The header, the rule, and a row for each of the fifteen cases.
    expect(rows.length).toBe(17);
    for (const row of rows) expect(results).toContain(row);
  });

  it('shows the two quickstart commands', () => {
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });
});
