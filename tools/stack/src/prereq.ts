import { spawnSync } from 'node:child_process';
import { StackError } from './errors.ts';
import { hasCommand } from './proc.ts';

/** Throws one clear line when `command` is missing, saying what needs it and how to get it. */
export function requireCommand(command: string, neededFor: string, howToGet: string): void {
  if (!hasCommand(command)) {
    throw new StackError(`${command} not found: it is needed ${neededFor}; ${howToGet}`);
  }
}

/** Java's major version, or undefined when there is no working `java`. */
export function javaMajorVersion(): number | undefined {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return undefined;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  if (!match) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}

export function requireJava(minimum: number): string {
  const major = javaMajorVersion();
  if (major === undefined) {
    throw new StackError(
      `java not found: Java ${minimum}+ is needed to run Kafka without Docker; install a JDK (apt-get install openjdk-17-jre-headless) or use docker compose up`,
    );
  }
  if (major < minimum) {
    throw new StackError(`Java ${major} is too old: Kafka 4 needs Java ${minimum}+`);
  }
  return 'java';
}
