export { waitFor } from './wait-for';
export type { WaitForOptions } from './wait-for';
export { uniqueName } from './names';
export { infrastructure } from './infrastructure';
export type { Infrastructure } from './infrastructure';
export { startService, freePort } from './service-process';
export type { RunningService } from './service-process';
export { emailsTo, emailSource, slackPosts, slackAttempts, slackFault } from './sinks';
export type { CaughtEmail, SlackPost, SlackAttempt } from './sinks';
