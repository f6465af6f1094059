/**
 * A problem the person running the stack can fix (a missing prerequisite, a taken port). The CLI
 * prints its message as one line, without a stack trace, and exits 1.
 */
export class StackError extends Error {
  override name = 'StackError';
}
