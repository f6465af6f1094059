export { openDatabase, databaseReachable } from './client';
export { isDatabaseUnavailable } from './unavailable';
export { executeNamed, poolOf } from './named-statement';
export type { Database, DatabaseHandle } from './client';
export { migrateDatabase, MIGRATIONS_FOLDER } from './migrate';
export { liveUserFields, readLiveUsers } from './live-users';
export type { LiveUser } from './live-users';
export * as schema from './schema';
export {
  users,
  outbox,
  idempotencyKeys,
  processedEvents,
  consumerOutbox,
  scheduledMessages,
  recurringJobs,
  notificationTimeline,
  deadLetterRedrives,
  apiKeys,
} from './schema';
