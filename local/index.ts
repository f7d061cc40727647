/** Local mode's programmatic API (the CLI and the tests use it). */

export { EnvironmentError, LocalModeError, UsageError } from "./errors.js";
export type { IdleReport } from "./idle.js";
export type { LambdaHandler } from "./runtime/function-runtime.js";
export {
  DEFAULT_API_KEY,
  DEFAULT_PORT,
  type LocalMode,
  type StartLocalOptions,
  startLocal,
} from "./start-local.js";
export type { LocalStats } from "./stats.js";
