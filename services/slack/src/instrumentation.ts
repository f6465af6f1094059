// Imported first by main.ts: instrumentations patch http, pg, undici and pino as they load, so
// tracing starts before anything else is required.
import { startTelemetry } from '@herald/telemetry/start';

export const telemetry = startTelemetry('herald-slack');
