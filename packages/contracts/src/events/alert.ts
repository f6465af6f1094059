import { Type } from '@sinclair/typebox';

export const ALERT_MESSAGE_MAX_LENGTH = 2000;
export const SEVERITIES = ['info', 'warning', 'critical'] as const;

export const Severity = Type.Union(SEVERITIES.map((s) => Type.Literal(s)));

/** An alert for the operators: email to the admin address and Slack to the alerts channel. */
export const AlertRaisedData = Type.Object(
  {
    alertId: Type.String({ format: 'uuid' }),
    message: Type.String({ minLength: 1, maxLength: ALERT_MESSAGE_MAX_LENGTH, pattern: '\\S' }),
    severity: Severity,
    raisedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
