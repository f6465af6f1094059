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

  it('copies its performance tables from the full run it cites, each figure with its ratio to both peers', () => {
    const section = readme.slice(readme.indexOf('## Performance'), readme.indexOf('\n## ', readme.indexOf('## Performance') + 1));
    expect(section.split('\n').length).toBeLessThanOrEqual(80);
    const cited = /Full output:\s*\[(bench\/results\/[\w-]+-full\.md)\]/.exec(section)?.[1];
    expect(cited).toBeDefined();
    const results = fs.readFileSync(path.resolve(__dirname, '../..', cited!), 'utf8').split('\n');
    expect(fs.existsSync(path.resolve(__dirname, '../..', cited!.replace(/\.md$/, '.json')))).toBe(true);
    const figures = /\| figure \| Herald \| BullMQ \| Temporal \| Herald\/BullMQ \| Herald\/Temporal \|\n\| --- .*\n((?:\|.*\n)+)/.exec(section)?.[1];
    const rows = (figures ?? '').trim().split('\n');
    expect(rows.length).toBeGreaterThan(8);
    // figure, Herald, BullMQ, Temporal, and the two ratios (a number, or a dash where one is 0 or absent).
    for (const row of rows) expect(row).toMatch(/^\| [^|]+ \| [\d.–]+ \| [\d.–]+ \| [\d.–]+ \| [\d.–]+ \| [\d.–]+ \|$/);
    // Every row of every table in the section, the processes' too, is the cited run's.
    const tableRows = section.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| ---'));
    for (const row of tableRows) expect(results).toContain(row);
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
