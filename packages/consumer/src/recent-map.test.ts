import { RecentMap } from './recent-map';

describe('RecentMap', () => {
  it('remembers the last entries set and forgets the oldest', () => {
    const recent = new RecentMap<string, number>(3);
    ['a', 'b', 'c'].forEach((k, i) => recent.set(k, i));
    expect(['a', 'b', 'c'].map((k) => recent.get(k))).toEqual([0, 1, 2]);
    recent.set('a', 10); // set again: now the newest, with its new value
    recent.set('d', 3);
    expect(recent.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((k) => recent.get(k))).toEqual([10, 2, 3]);
    expect(recent.size).toBe(3);
  });
});
