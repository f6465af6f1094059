import type { FaultResult } from './fault-run.ts';

const total = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

/** The suite's table: one row a case, every channel's count over the signups accepted. */
export function renderFaults(results: readonly FaultResult[], run: { signups: number; rate: number; followUpDelayMs: number }): string {
  const lines = [
    `${run.signups} signups a case at ${run.rate}/s, follow-up ${run.followUpDelayMs / 1000} s after the welcome email; the fault 30% into the load.`,
    '',
    '| case | accepted | welcome | Slack | follow-up | lost | doubled | result |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of results) {
    const refused = total(r.refused);
    const accepted = refused > 0 ? `${r.accepted} (${refused} refused: ${Object.entries(r.refused).map(([s, n]) => `${n}×${s === '0' ? 'no answer' : s}`).join(', ')})` : String(r.accepted);
    const doubled = total(r.doubled);
    const doubledText = doubled > 0 ? `${doubled} (${Object.entries(r.doubled).filter(([, n]) => n > 0).map(([c, n]) => `${c} ${n}`).join(', ')})` : '0';
    const result = r.misses.length === 0 ? 'met' : `**missed**: ${r.misses.join('; ')}`;
    lines.push(`| ${r.name} | ${accepted} | ${r.delivered.welcome} | ${r.delivered.slack} | ${r.delivered.followUp} | ${total(r.lost)} | ${doubledText} | ${result} |`);
  }
  return lines.join('\n');
}
