import { ownerOf, renderProfiles, summarizeProfile, type CpuProfile } from './cpu-profile.ts';

const ROOT = '/work/herald';
const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 9 },
  children,
});

// main (email service) → kafkajs' encoder → Buffer.alloc; the collector; idle.
const PROFILE: CpuProfile = {
  nodes: [
    frame(1, '(root)', '', [2, 5, 6]),
    frame(2, 'main', `file://${ROOT}/services/email/dist/main.js`, [3]),
    frame(3, 'encode', `${ROOT}/node_modules/kafkajs/src/protocol/encoder.js`, [4]),
    frame(4, 'alloc', 'node:buffer'),
    frame(5, '(garbage collector)', ''),
    frame(6, '(idle)', ''),
  ],
  samples: [3, 3, 4, 5, 6, 6],
  timeDeltas: [100, 100, 200, 100, 1000, 1000],
};

describe('CPU profile summaries', () => {
  it('name who a frame belongs to', () => {
    expect(ownerOf({ functionName: 'f', url: `${ROOT}/node_modules/@opentelemetry/sdk-trace/build/x.js` }, ROOT)).toBe('@opentelemetry/sdk-trace');
    expect(ownerOf({ functionName: 'f', url: 'node:internal/streams/writable' }, ROOT)).toBe('node:streams');
    expect(ownerOf({ functionName: 'f', url: `file://${ROOT}/packages/consumer/dist/runner.js` }, ROOT)).toBe('@herald/consumer');
    expect(ownerOf({ functionName: 'f', url: `${ROOT}/bench/src/x.ts` }, ROOT)).toBe('bench/src/x.ts');
    expect(ownerOf({ functionName: '(program)', url: '' }, ROOT)).toBe('V8 and native code');
  });

  it('split busy time by owner and function, and count an owner once a sample on the stack', () => {
    const s = summarizeProfile(PROFILE, ROOT);
    expect(s.busySeconds).toBeCloseTo(0.0005);
    expect(s.idleSeconds).toBeCloseTo(0.002);
    expect(s.byOwner.map((o) => [o.name, o.share])).toEqual([
      ['kafkajs', 0.4],
      ['node:buffer', 0.4],
      ['V8 garbage collector', 0.2],
    ]);
    expect(Object.fromEntries(s.inclusiveByOwner.map((o) => [o.name, o.share]))).toEqual({
      kafkajs: 0.8,
      '@herald/email': 0.8,
      'node:buffer': 0.4,
      'V8 garbage collector': 0.2,
    });
    expect(s.byFunction[0]).toEqual({ name: 'encode (kafkajs, encoder.js:10)', seconds: 0.0002, share: 0.4 });
  });

  it('render a table per process', () => {
    const md = renderProfiles({ 'herald-email': summarizeProfile(PROFILE, ROOT) });
    expect(md).toContain('### herald-email: 0.0 s busy, 0.0 s idle (sampled)');
    expect(md).toContain('| kafkajs | 40.0% | kafkajs | 80.0% | encode (kafkajs, encoder.js:10) | 40.0% |');
  });
});
