/** The slack-sink's configuration, read from the environment once. */
export interface SinkEnv {
  /** Port to listen on (0 picks a free one). */
  readonly PORT: number;
  /** Interface to listen on. */
  readonly HOST: string;
}

/** Thrown when an environment variable is present but unusable; the message names it. */
export class EnvError extends Error {
  override readonly name = 'EnvError';
}

/**
 * Parses the sink's variables from `source`; an unset or empty variable takes its default.
 * Throws an EnvError naming every bad variable. The result is frozen.
 */
export function parseEnv(source: NodeJS.ProcessEnv): SinkEnv {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = source[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  let port = 8026;
  const rawPort = read('PORT');
  if (rawPort !== undefined) {
    port = /^\d+$/.test(rawPort) ? Number(rawPort) : NaN;
    if (!(port >= 0 && port <= 65_535)) {
      problems.push(`PORT is ${JSON.stringify(source.PORT)}: expected an integer from 0 to 65535`);
    }
  }
  const host = read('HOST') ?? '127.0.0.1';

  if (problems.length > 0) throw new EnvError(`invalid environment: ${problems.join('; ')}`);
  return Object.freeze({ PORT: port, HOST: host });
}

/** The parsed environment of this process. */
export const env: SinkEnv = parseEnv(process.env);
