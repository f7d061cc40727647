import { createHash } from "node:crypto";

/**
 * API keys are stored only as SHA-256 hashes: a leaked table does not leak usable keys, and keys
 * are long random strings, so a fast unsalted hash is not open to guessing.
 */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** An API key record as stored in the apiKeys table (partition key `keyHash`). */
export interface ApiKeyRecord {
  readonly keyHash: string;
  readonly appId: string;
  readonly status: "active" | "revoked";
  readonly name: string;
  readonly createdAt: string;
}
