import { createLogger } from '@herald/service-kit';
import { errorMessage, type SchedulerLogger } from './logger';

describe('SchedulerLogger', () => {
  it('is what a service logger already is', () => {
    const logger: SchedulerLogger = createLogger('scheduler-test', 'silent');
    expect(() => logger.error({ err: new Error('x') }, 'logged')).not.toThrow();
  });

  it('gives an error message or the thing as text', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage(42)).toBe('42');
  });
});
