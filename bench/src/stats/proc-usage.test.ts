import { busySecondsOf, cpuSecondsOf, peakRssMiBOf, statFields } from './proc-usage.ts';

// A /proc/<pid>/stat line whose command name holds a space and a parenthesis.
const STAT =
  '4242 (node (api) x) S 4000 4242 4000 0 -1 4194560 1000 0 0 0 250 50 30 20 20 0 11 0 12345 1000000 5000 18446744073709551615';

describe('proc stat parsing', () => {
  it('skips a command name with spaces and parentheses', () => {
    expect(statFields(STAT)[0]).toBe('S');
    expect(statFields(STAT)[1]).toBe('4000');
  });

  it('adds user, system and reaped children CPU ticks, in seconds', () => {
    expect(cpuSecondsOf(STAT)).toBeCloseTo((250 + 50 + 30 + 20) / 100);
  });

  it('reads VmHWM in MiB', () => {
    expect(peakRssMiBOf('Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t 1024 kB\n')).toBe(200);
    expect(peakRssMiBOf('Name:\tkthread\n')).toBe(0);
  });
});

describe('busySecondsOf', () => {
  it('counts all but idle and iowait', () => {
    // user nice system idle iowait irq softirq steal
    expect(busySecondsOf('cpu  100 0 50 1000 30 5 5 10 0 0')).toBeCloseTo(1.7);
  });
});
