/**
 * Local mode's own log lines (the handlers log through Powertools). Plain text on stderr, so
 * stdout stays free for command output such as `score --json`. Never log message bodies or
 * request bodies: they carry personal data, and logs are not covered by erasure.
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const ORDER: Readonly<Record<LogLevel, number>> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 100,
};

export interface LocalLogger {
  readonly level: LogLevel;
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Accepts Powertools spellings too (`WARN`, `INFO`, …), since one option sets both. */
export function parseLogLevel(raw: string | undefined, fallback: LogLevel = "warn"): LogLevel {
  if (raw === undefined) return fallback;
  const lower = raw.trim().toLowerCase();
  if (lower === "warning") return "warn";
  if (lower === "critical") return "error";
  return lower in ORDER ? (lower as LogLevel) : fallback;
}

/** Powertools' level names, for POWERTOOLS_LOG_LEVEL. */
export function powertoolsLevel(level: LogLevel): string {
  return level === "silent" ? "SILENT" : level.toUpperCase();
}

function format(fields: Record<string, unknown> | undefined): string {
  if (!fields) return "";
  const parts = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  return parts.length > 0 ? ` ${parts.join(" ")}` : "";
}

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): LocalLogger {
  const emit = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    write(`[churnwatch] ${at.toUpperCase()} ${message}${format(fields)}`);
  };
  return {
    level,
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
  };
}
