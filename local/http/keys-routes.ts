/**
 * `/_local/keys`: API key administration for `churnwatch keys` against local mode. Only local
 * mode's own key (CHURNWATCH_API_KEY, else local-dev-key) may use it: a key issued to an app
 * authenticates that app's requests, it does not manage other apps' keys.
 *
 *   GET  /_local/keys[?app=APP]          → 200 { keys: [ApiKeySummary] }
 *   POST /_local/keys { appId, name? }   → 201 { key, ...ApiKeySummary }   (the key, once)
 *   POST /_local/keys/{keyId}/revoke     → 200 { ...ApiKeySummary, alreadyRevoked }
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { appIdSchema, keyIdSchema, keyNameSchema } from "../../lambdas/domain/api-key-issuing.js";
import { fieldErrors } from "../../lambdas/domain/validation.js";
import type { ApiKeyAdmin } from "../keys/api-key-admin.js";
import { headerValue } from "./api-gateway-events.js";
import { discardRest, readBody } from "./read-body.js";
import { GATEWAY_ERRORS, sendJson, tooLarge } from "./responses.js";
import { matchPath } from "./route-match.js";

export interface LocalKeyBackend {
  readonly admin: ApiKeyAdmin;
  /** `admin` for local mode's own active key, `app` for another active key, else `none`. */
  roleOf(key: string): Promise<"admin" | "app" | "none">;
  /** The hash of the administrator key, which revoke refuses to revoke. */
  readonly adminKeyHash: string;
}

const KEYS_PATH = "/_local/keys";
const REVOKE_PATH = "/_local/keys/{keyId}/revoke";
const BODY_LIMIT = 16 * 1024;

const createSchema = z.object({ appId: appIdSchema, name: keyNameSchema.optional() }).strict();

function isKeysPath(path: string): boolean {
  return path === KEYS_PATH || path.startsWith(`${KEYS_PATH}/`);
}

async function readJson(
  request: IncomingMessage,
  response: ServerResponse,
): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const body = await readBody(request, BODY_LIMIT);
  if (body.kind === "too-large") {
    discardRest(request);
    sendJson(response, 413, tooLarge(BODY_LIMIT), { connection: "close" });
    return { ok: false };
  }
  const text = body.body.toString("utf8").trim();
  try {
    return { ok: true, value: text === "" ? {} : JSON.parse(text) };
  } catch {
    sendJson(response, 400, { message: 'body must be JSON: { "appId": "shop", "name": "web" }' });
    return { ok: false };
  }
}

/** Answers a `/_local/keys…` request; false when the path is not one of them. */
export async function handleKeyRoutes(
  backend: LocalKeyBackend,
  request: IncomingMessage,
  response: ServerResponse,
  apiKeyHeader: string,
): Promise<boolean> {
  const method = (request.method ?? "GET").toUpperCase();
  const url = request.url ?? "/";
  const path = url.split("?")[0] ?? "";
  if (!isKeysPath(path)) return false;

  let revoke: Readonly<Record<string, string>> | undefined;
  try {
    revoke = matchPath(REVOKE_PATH, path);
  } catch {
    revoke = undefined;
  }
  if (path !== KEYS_PATH && !revoke) {
    sendJson(response, 404, GATEWAY_ERRORS.notFound);
    return true;
  }
  const allowed = path === KEYS_PATH ? ["GET", "POST"] : ["POST"];
  if (!allowed.includes(method)) {
    discardRest(request);
    sendJson(response, 405, GATEWAY_ERRORS.methodNotAllowed, { allow: allowed.join(", ") });
    return true;
  }

  const key = headerValue(request.rawHeaders, apiKeyHeader);
  const role = key ? await backend.roleOf(key) : "none";
  if (role === "none") {
    discardRest(request);
    sendJson(response, 401, GATEWAY_ERRORS.unauthorized, { connection: "close" });
    return true;
  }
  if (role !== "admin") {
    discardRest(request);
    sendJson(response, 403, {
      message:
        "only local mode's own API key (CHURNWATCH_API_KEY, else local-dev-key) may manage keys",
    });
    return true;
  }

  if (revoke) {
    discardRest(request);
    const keyId = keyIdSchema.safeParse(revoke.keyId);
    if (!keyId.success) {
      sendJson(response, 400, {
        message: "invalid key ID",
        errors: fieldErrors(keyId.error, "keyId"),
      });
      return true;
    }
    const result = await backend.admin.revoke(keyId.data, new Date(), backend.adminKeyHash);
    switch (result.kind) {
      case "revoked":
      case "already-revoked":
        sendJson(response, 200, {
          ...result.summary,
          alreadyRevoked: result.kind === "already-revoked",
        });
        return true;
      case "not-found":
        sendJson(response, 404, { message: `no API key with ID ${keyId.data}` });
        return true;
      case "ambiguous":
        sendJson(response, 409, {
          message: `${result.matches} keys share the ID ${keyId.data}; revoke them in the table by hash`,
        });
        return true;
      case "refused":
        sendJson(response, 409, { message: result.reason });
        return true;
    }
  }

  if (method === "GET") {
    discardRest(request);
    const app = new URL(url, "http://local.invalid").searchParams.get("app");
    if (app !== null) {
      const appId = appIdSchema.safeParse(app);
      if (!appId.success) {
        sendJson(response, 400, {
          message: "invalid app",
          errors: fieldErrors(appId.error, "app"),
        });
        return true;
      }
    }
    sendJson(response, 200, { keys: await backend.admin.list(app ?? undefined) });
    return true;
  }

  const body = await readJson(request, response);
  if (!body.ok) return true;
  const parsed = createSchema.safeParse(body.value);
  if (!parsed.success) {
    sendJson(response, 400, {
      message: "invalid key request",
      errors: fieldErrors(parsed.error),
    });
    return true;
  }
  const created = await backend.admin.create(
    parsed.data.appId,
    parsed.data.name ?? parsed.data.appId,
  );
  sendJson(response, 201, { key: created.key, ...created.summary });
  return true;
}
