import { RecentSet } from './recent-set';

describe('RecentSet', () => {
  it('remembers the last values added and forgets the oldest', () => {
    const recent = new RecentSet<string>(3);
    ['a', 'b', 'c'].forEach((v) => recent.add(v));
    expect(['a', 'b', 'c'].map((v) => recent.has(v))).toEqual([true, true, true]);
    recent.add('a'); // seen again: now the newest
    recent.add('d');
    expect(recent.has('b')).toBe(false);
    expect(['a', 'c', 'd'].map((v) => recent.has(v))).toEqual([true, true, true]);
    expect(recent.size).toBe(3);
  });
});
