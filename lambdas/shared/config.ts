import type { EnvName } from "./env-names.js";

/** Raised at cold start when the deployment forgot a variable: the message names it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function requireEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    throw new ConfigError(`missing environment variable ${name}`);
  }
  return value;
}

export function optionalEnv(
  name: EnvName,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value;
}

export function positiveIntEnv(name: EnvName, fallback: number, env = process.env): number {
  const raw = optionalEnv(name, env);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}
