import { dueUntil, openLoopSchedule } from './open-loop.schedule.ts';

describe('openLoopSchedule', () => {
  it('spaces rate requests a second evenly over the duration', () => {
    const schedule = openLoopSchedule(4, 1000);
    expect(schedule).toEqual([0, 250, 500, 750]);
  });

  it('gives rate × duration requests', () => {
    expect(openLoopSchedule(500, 60_000)).toHaveLength(30_000);
    expect(openLoopSchedule(3, 500)).toHaveLength(1);
    expect(openLoopSchedule(100, 0)).toHaveLength(0);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => openLoopSchedule(0, 1000)).toThrow(RangeError);
    expect(() => openLoopSchedule(Number.NaN, 1000)).toThrow(RangeError);
    expect(() => openLoopSchedule(10, -1)).toThrow(RangeError);
  });
});

describe('dueUntil', () => {
  const schedule = [0, 10, 20, 30];

  it('releases what is due and nothing more', () => {
    expect(dueUntil(schedule, 0, 0)).toBe(1);
    expect(dueUntil(schedule, 1, 15)).toBe(2);
    expect(dueUntil(schedule, 2, 19.9)).toBe(2);
  });

  it('releases every overdue request at once after a late tick', () => {
    expect(dueUntil(schedule, 0, 100)).toBe(4);
    expect(dueUntil(schedule, 4, 200)).toBe(4);
  });
});
