import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';

// The stack tool as people meet it: a missing prerequisite or a taken port stops it with one
// line naming the cause, not a stack trace. Runs the real CLI in a child process, with an empty
// HERALD_HOME so that nothing of the running stack is reused.
const CLI = path.resolve(__dirname, '../../tools/stack/src/cli.ts');

function cli(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stderr: string; stdout: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-home-'));
  try {
    const result = spawnSync(process.execPath, [CLI, ...args], {
      encoding: 'utf8',
      env: { ...process.env, HERALD_HOME: home, ...env },
      timeout: 60_000,
    });
    return { status: result.status, stderr: result.stderr.trim(), stdout: result.stdout.trim() };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

describe('the stack tool', () => {
  it('names a missing Java in one line', () => {
    // A PATH with node only: no java, no mvn, no go.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bin-'));
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    try {
      const { status, stderr } = cli(['up', 'kafka'], { PATH: bin });
      expect(status).toBe(1);
      const lines = stderr.split('\n').filter((l) => !l.includes('TimeoutNegativeWarning') && !l.includes('--trace-warnings') && !l.startsWith('Timeout duration'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^herald: java not found: Java 17\+ is needed to run Kafka without Docker; install a JDK/);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it('names the holder of a taken port in one line', async () => {
    const server = net.createServer();
    // 8026 is the Slack stand-in's port; the running stack may hold it already, which is the
    // same situation for a stack with an empty HERALD_HOME.
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(8026, '127.0.0.1', () => resolve(true));
    });
    try {
      const { status, stderr } = cli(['up', 'slack-sink'], {});
      expect(status).toBe(1);
      expect(stderr).toMatch(/^herald: port 8026, needed by slack-sink, is taken by (pid \d+ \([^)]+\)|another process): stop it, then run the command again$/m);
    } finally {
      if (listening) await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses an unknown component with the list of known ones', () => {
    const { status, stderr } = cli(['up', 'zookeeper'], {});
    expect(status).toBe(1);
    expect(stderr).toBe(
      'herald: unknown component "zookeeper"; components: postgres, kafka, mailpit, jaeger, slack-sink, api, email, slack, scheduler, redis, temporal, kafka-sasl',
    );
  });
});
