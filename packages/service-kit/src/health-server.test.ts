import { readiness } from './health-server';

describe('readiness', () => {
  it('is ok when every check passes', async () => {
    const report = await readiness([
      { name: 'kafka', check: async () => true },
      { name: 'postgres', check: async () => true },
    ]);
    expect(report).toEqual({ status: 'ok', checks: { kafka: 'ok', postgres: 'ok' } });
  });

  it('names the failing, throwing and hanging checks', async () => {
    const report = await readiness(
      [
        { name: 'kafka', check: async () => false },
        {
          name: 'postgres',
          check: async () => {
            throw new Error('refused');
          },
        },
        { name: 'smtp', check: () => new Promise<boolean>(() => undefined) },
        { name: 'slack', check: async () => true },
      ],
      50,
    );
    expect(report).toEqual({
      status: 'unavailable',
      checks: { kafka: 'failing', postgres: 'failing', smtp: 'failing', slack: 'ok' },
    });
  });
});
