import { nextCronTime } from './cron';

describe('nextCronTime', () => {
  it('finds the next 03:00 UTC for the daily cleanup, strictly after the given time', () => {
    expect(nextCronTime('0 3 * * *', new Date('2030-05-01T02:59:59Z')).toISOString()).toBe(
      '2030-05-01T03:00:00.000Z',
    );
    expect(nextCronTime('0 3 * * *', new Date('2030-05-01T03:00:00Z')).toISOString()).toBe(
      '2030-05-02T03:00:00.000Z',
    );
    expect(nextCronTime('*/15 * * * *', new Date('2030-05-01T10:07:00Z')).toISOString()).toBe(
      '2030-05-01T10:15:00.000Z',
    );
  });

  it('names an expression it cannot parse', () => {
    expect(() => nextCronTime('every day at three', new Date())).toThrow(
      /"every day at three" is not a cron expression/,
    );
  });
});
