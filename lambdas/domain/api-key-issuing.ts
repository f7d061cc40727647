/**
 * Issuing and describing per-app API keys (`churnwatch keys …`). The key itself is shown once
 * and never stored: the apiKeys table holds its SHA-256 hash (what the authorizer looks up), the
 * app it belongs to, and a short non-secret key ID people use to name it.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { type ApiKeyRecord, hashApiKey } from "./api-keys.js";

export const API_KEY_PREFIX = "cw_";
/** 32 random bytes: 256 bits, far beyond guessing, so an unsalted SHA-256 is a safe store. */
const KEY_BYTES = 32;
/** Hex characters of the hash that make the key ID (48 bits: unique in any real table). */
export const KEY_ID_LENGTH = 12;

export const appIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    "must be 1-63 lowercase letters, digits or '-', starting with a letter or digit",
  );

export const keyNameSchema = z
  .string()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(/^[\x20-\x7e]+$/, "must be printable ASCII");

export const keyIdSchema = z
  .string()
  .regex(
    new RegExp(`^[0-9a-f]{${KEY_ID_LENGTH}}$`),
    `must be the ${KEY_ID_LENGTH}-character key ID that \`churnwatch keys list\` shows`,
  );

/** A stored key record as `keys create` writes it (older records may lack `keyId`). */
export interface ManagedApiKeyRecord extends ApiKeyRecord {
  readonly keyId: string;
  readonly revokedAt?: string;
}

/** What `keys list` shows: no key, no hash beyond the short ID. */
export interface ApiKeySummary {
  readonly keyId: string;
  readonly appId: string;
  readonly name: string;
  readonly status: "active" | "revoked";
  readonly createdAt: string;
  readonly revokedAt?: string;
}

export function generateApiKey(random: (size: number) => Buffer = randomBytes): string {
  return `${API_KEY_PREFIX}${random(KEY_BYTES).toString("base64url")}`;
}

export function keyIdOf(keyHash: string): string {
  return keyHash.slice(0, KEY_ID_LENGTH);
}

export function newApiKeyRecord(
  key: string,
  appId: string,
  name: string,
  now: Date,
): ManagedApiKeyRecord {
  const keyHash = hashApiKey(key);
  return {
    keyHash,
    keyId: keyIdOf(keyHash),
    appId,
    status: "active",
    name,
    createdAt: now.toISOString(),
  };
}

/** The listing view of a stored record; the key ID is derived when a record predates it. */
export function summarizeApiKey(
  record: ApiKeyRecord & { keyId?: string; revokedAt?: string },
): ApiKeySummary {
  return {
    keyId: record.keyId ?? keyIdOf(record.keyHash),
    appId: record.appId,
    name: record.name,
    status: record.status,
    createdAt: record.createdAt,
    ...(record.revokedAt ? { revokedAt: record.revokedAt } : {}),
  };
}

/** The name the matching API Gateway API key (metering only) gets on AWS. */
export function apiGatewayKeyName(summary: Pick<ApiKeySummary, "appId" | "keyId">): string {
  return `churnwatch-${summary.appId}-${summary.keyId}`;
}
