import { CronExpressionParser } from 'cron-parser';

/**
 * The first time strictly after `after` that the cron expression `cron` names, in UTC. Five
 * fields (minute hour day-of-month month day-of-week) or six (seconds first). Throws a RangeError
 * naming the expression when it does not parse.
 */
export function nextCronTime(cron: string, after: Date): Date {
  let expression;
  try {
    expression = CronExpressionParser.parse(cron, { currentDate: after, tz: 'UTC', strict: false });
  } catch (error) {
    throw new RangeError(
      `"${cron}" is not a cron expression: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  return expression.next().toDate();
}
