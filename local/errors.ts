/**
 * Failures a person can act on. The CLI prints `message` as is (no stack) and exits with
 * `exitCode`, so scripts can tell bad arguments (2) from a broken environment (3).
 */
export class LocalModeError extends Error {
  override readonly name: string = "LocalModeError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Bad command line: unknown command or flag, or a value that does not parse. */
export class UsageError extends LocalModeError {
  override readonly name = "UsageError";
  constructor(message: string) {
    super(message, 2);
  }
}

/** The machine lacks something local mode needs (Java, a free port). */
export class EnvironmentError extends LocalModeError {
  override readonly name = "EnvironmentError";
  constructor(message: string) {
    super(message, 3);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
