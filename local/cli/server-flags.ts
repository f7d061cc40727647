/** `--url` and `--api-key` for commands that talk to a running churnwatch server. */
import { UsageError } from "../errors.js";
import { apiKeyFromEnv, DEFAULT_API_KEY, DEFAULT_PORT } from "../start-local.js";
import { type ParsedValues, parsePort, stringFlag } from "./command.js";

export interface ServerFlags {
  readonly url: string;
  readonly apiKey: string;
  /** No --url: the local default (http://127.0.0.1:PORT). */
  readonly defaultUrl: boolean;
}

/** The two flags' help lines, descriptions starting at column `width` like the command's others. */
export function serverFlagsHelp(width = 19): string {
  const line = (flag: string, text: string) => `  ${flag.padEnd(width - 2)}${text}`;
  return [
    line("--url URL", `the server (default: http://127.0.0.1:PORT, PORT else ${DEFAULT_PORT})`),
    line("--api-key KEY", `default: CHURNWATCH_API_KEY, else ${DEFAULT_API_KEY}`),
  ].join("\n");
}

export function parseServerFlags(
  command: string,
  values: ParsedValues,
  env: NodeJS.ProcessEnv,
): ServerFlags {
  const rawUrl = stringFlag(values, "url");
  const port =
    env.PORT !== undefined && env.PORT.trim() !== ""
      ? parsePort(env.PORT, `churnwatch ${command}: PORT`)
      : DEFAULT_PORT;
  const raw = rawUrl ?? `http://127.0.0.1:${port}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `churnwatch ${command}: --url must be a URL such as http://127.0.0.1:3000, got "${raw}"`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `churnwatch ${command}: --url must start with http:// or https://, got "${raw}"`,
    );
  }
  const apiKey = stringFlag(values, "api-key") ?? apiKeyFromEnv(env) ?? DEFAULT_API_KEY;
  if (apiKey.trim() === "") {
    throw new UsageError(`churnwatch ${command}: --api-key must not be empty`);
  }
  return { url: url.href.replace(/\/+$/, ""), apiKey, defaultUrl: rawUrl === undefined };
}

/** A whole number within bounds, else a UsageError naming the flag. */
export function intFlag(
  command: string,
  values: ParsedValues,
  name: string,
  bounds: { readonly min: number; readonly max?: number; readonly fallback: number },
): number {
  const raw = stringFlag(values, name);
  if (raw === undefined) return bounds.fallback;
  const value = Number(raw);
  const tooBig = bounds.max !== undefined && value > bounds.max;
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < bounds.min || tooBig) {
    const range =
      bounds.max !== undefined
        ? `from ${bounds.min} to ${bounds.max}`
        : `of at least ${bounds.min}`;
    throw new UsageError(
      `churnwatch ${command}: --${name} must be a whole number ${range}, got "${raw}"`,
    );
  }
  return value;
}
