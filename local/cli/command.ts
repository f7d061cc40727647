/**
 * One CLI command: its flags (node:util parseArgs), a parse step that turns them into typed
 * options or a UsageError (exit 2), and the run step. New commands (`simulate`, `report`, …)
 * add a module and a line in `commands/index.ts`.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import type { CliIo } from "./io.js";

export type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
export type ParsedValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CliCommand<T = unknown> {
  readonly name: string;
  readonly summary: string;
  /** Full `--help` text. */
  readonly help: string;
  readonly options: OptionsConfig;
  /** Validates flags; throws UsageError with a message that says what to type instead. */
  parse(values: ParsedValues, positionals: readonly string[], env: NodeJS.ProcessEnv): T;
  /** Resolves with the process exit code. */
  run(options: T, io: CliIo): Promise<number>;
}

export function defineCommand<T>(command: CliCommand<T>): CliCommand<T> {
  return command;
}

/** A command with its option type hidden, so commands of different types share one list. */
export interface RegisteredCommand {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  readonly options: OptionsConfig;
  /** Validates (throws UsageError) and returns the run, so bad flags fail before any work. */
  prepare(values: ParsedValues, positionals: readonly string[], io: CliIo): () => Promise<number>;
}

export function register<T>(command: CliCommand<T>): RegisteredCommand {
  return {
    name: command.name,
    summary: command.summary,
    help: command.help,
    options: command.options,
    prepare(values, positionals, io) {
      const options = command.parse(values, positionals, io.env);
      return () => command.run(options, io);
    },
  };
}

/** parseArgs with its errors turned into UsageErrors that name the command. */
export function parseFlags(
  commandName: string,
  options: OptionsConfig,
  args: readonly string[],
): { values: ParsedValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedValues, positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(
      `churnwatch ${commandName}: ${message.replace(/\. To specify a positional argument.*$/s, "")}`,
    );
  }
}

export function noPositionals(commandName: string, positionals: readonly string[]): void {
  if (positionals.length > 0) {
    throw new UsageError(`churnwatch ${commandName}: unexpected argument "${positionals[0]}"`);
  }
}

export function stringFlag(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

export function parsePort(raw: string, source: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`${source} must be a port number from 0 to 65535, got "${raw}"`);
  }
  return port;
}
