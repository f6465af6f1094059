/** A command line an operator's CLI cannot run: its message and the usage go to stderr, exit 64. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What went wrong, for an operator: the innermost cause (a refused connection, a missing table). */
export function failureOf(error: unknown): string {
  // A failed query's own message is the statement and its parameters; its cause says why.
  let cause = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}

function isUsageError(error: unknown): boolean {
  return error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
}

/**
 * Runs an operator's CLI (`npm run keys`, `dlq`, `topics`, `db:migrate`) and exits with the code
 * `main` returns.
 * A bad command line (a UsageError, or `parseArgs` refusing it) prints its reason and the usage
 * and exits 64; any other failure prints `name: <what went wrong>` and exits 1.
 */
export function runCli(name: string, usage: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const usageError = isUsageError(error);
      console.error(`${name}: ${failureOf(error)}${usageError ? `\n${usage}` : ''}`);
      process.exit(usageError ? 64 : 1);
    },
  );
}
