export { waitFor } from './wait-for';
export type { WaitForOptions } from './wait-for';
export { uniqueName } from './names';
export { infrastructure } from './infrastructure';
export type { Infrastructure } from './infrastructure';
export { startService, freePort } from './service-process';
export type { RunningService } from './service-process';
