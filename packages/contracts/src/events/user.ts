import { Type } from '@sinclair/typebox';

/** Limits shared by the API's request schema and the event schema, so both agree. */
export const USER_LIMITS = Object.freeze({
  emailMaxLength: 254,
  usernameMinLength: 3,
  usernameMaxLength: 32,
  fullNameMaxLength: 100,
});

/** A username: letters, digits, dot, dash and underscore; starts with a letter or digit. */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';

/**
 * A full name is free text on one line: any character but control characters (C0, DEL and C1: no
 * CR/LF, so no header injection through a subject line; no NUL, which PostgreSQL refuses) and the
 * bidirectional overrides and isolates that make text read otherwise than it is stored; not
 * blank. What it renders as is the renderer's job.
 */
const NOT_IN_A_NAME = '\\u0000-\\u001f\\u007f-\\u009f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
export const FULL_NAME_PATTERN = `^[^${NOT_IN_A_NAME}]*[^\\s${NOT_IN_A_NAME}][^${NOT_IN_A_NAME}]*$`;

export const UserId = Type.String({ format: 'uuid' });
export const Email = Type.String({ format: 'email', maxLength: USER_LIMITS.emailMaxLength });
export const Username = Type.String({
  minLength: USER_LIMITS.usernameMinLength,
  maxLength: USER_LIMITS.usernameMaxLength,
  pattern: USERNAME_PATTERN,
});
export const FullName = Type.String({
  minLength: 1,
  maxLength: USER_LIMITS.fullNameMaxLength,
  pattern: FULL_NAME_PATTERN,
});
const Instant = Type.String({ format: 'date-time' });

/** A signup as `user.created.v1` carried it, personal data included. No longer written. */
export const UserCreatedData = Type.Object(
  { userId: UserId, email: Email, username: Username, fullName: FullName, createdAt: Instant },
  { additionalProperties: false },
);

/**
 * A signup: only the user's id. Whoever needs the address or the name reads the live user from
 * `users`, so no topic, retry topic or dead letter holds them and erasing the row erases them.
 */
export const UserCreatedV2Data = Type.Object({ userId: UserId, createdAt: Instant }, { additionalProperties: false });

export const UserDeletedData = Type.Object(
  { userId: UserId, deletedAt: Instant },
  { additionalProperties: false },
);

/** A follow-up as `follow-up.requested.v1` carried it, personal data included. No longer written. */
export const FollowUpRequestedData = Type.Object(
  {
    userId: UserId,
    email: Email,
    username: Username,
    fullName: FullName,
    /** When the follow-up was due. */
    dueAt: Instant,
  },
  { additionalProperties: false },
);

/** A follow-up fell due, stored by the scheduler and emitted when due: the user's id, no personal data. */
export const FollowUpRequestedV2Data = Type.Object(
  {
    userId: UserId,
    /** When the follow-up was due. */
    dueAt: Instant,
  },
  { additionalProperties: false },
);
