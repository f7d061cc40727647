/**
 * `/_local/promotions`: the promotion calendar of the API key's app, for `churnwatch promotions`
 * against local mode. The calendar scoring uses is the configured one (PROMOTIONS) merged with
 * the stored one (the scoring table); a new promotion that shares a day with either is refused.
 *
 *   GET  /_local/promotions                  → 200 { appId, promotions: [{name, from, to, source}] }
 *   POST /_local/promotions {name, from, to} → 201 { appId, promotion }
 *                                              400 { message, field? } bad field or overlap
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  checkPromotionAgainst,
  type Promotion,
  PromotionError,
  parsePromotion,
  sortPromotions,
} from "../../lambdas/domain/promotions.js";
import { PromotionConflictError, type PromotionStore } from "../../lambdas/model-ports.js";
import { headerValue } from "./api-gateway-events.js";
import { discardRest, readBody } from "./read-body.js";
import { GATEWAY_ERRORS, sendJson, tooLarge } from "./responses.js";

export const LOCAL_PROMOTIONS_PATH = "/_local/promotions";

export interface LocalPromotionBackend {
  /** The app an active API key belongs to; undefined for an unknown or revoked key. */
  appOf(key: string): Promise<string | undefined>;
  readonly store: PromotionStore;
  /** The configured calendar (PROMOTIONS): stored promotions may not overlap it either. */
  readonly configured: readonly Promotion[];
}

export type PromotionSource = "configured" | "stored";
export interface ListedPromotion extends Promotion {
  readonly source: PromotionSource;
}

const BODY_LIMIT = 16 * 1024;
/** The error key parsePromotion is given, so field errors can be named by field alone. */
const BODY_KEY = "promotion";

/** Adds of one app run one at a time, so two overlapping adds cannot both pass the check. */
const addQueues = new WeakMap<LocalPromotionBackend, Map<string, Promise<unknown>>>();

function serialized<T>(backend: LocalPromotionBackend, appId: string, work: () => Promise<T>) {
  let queues = addQueues.get(backend);
  if (!queues) {
    queues = new Map();
    addQueues.set(backend, queues);
  }
  const previous = queues.get(appId) ?? Promise.resolve();
  const next = previous.then(work, work);
  const settled = next.catch(() => undefined);
  queues.set(appId, settled);
  void settled.then(() => {
    if (queues.get(appId) === settled) queues.delete(appId);
  });
  return next;
}

async function merged(backend: LocalPromotionBackend, appId: string): Promise<ListedPromotion[]> {
  const stored = await backend.store.list(appId);
  const listed: ListedPromotion[] = [
    ...backend.configured.map((p) => ({ ...p, source: "configured" as const })),
    ...stored.map((p) => ({ ...p, source: "stored" as const })),
  ];
  return sortPromotions(listed);
}

/** `{message, field?}` for a refused promotion: fields by name, the rest as the reason alone. */
function refusal(error: PromotionError): { message: string; field?: string } {
  if (error.key === BODY_KEY) return { message: error.reason };
  const field = error.key.slice(BODY_KEY.length + 1);
  return { message: `${field}: ${error.reason}`, field };
}

/** Answers a `/_local/promotions` request; false when the path is another one. */
export async function handlePromotionRoutes(
  backend: LocalPromotionBackend,
  request: IncomingMessage,
  response: ServerResponse,
  apiKeyHeader: string,
): Promise<boolean> {
  const method = (request.method ?? "GET").toUpperCase();
  const path = (request.url ?? "/").split("?")[0] ?? "";
  if (path !== LOCAL_PROMOTIONS_PATH && !path.startsWith(`${LOCAL_PROMOTIONS_PATH}/`)) {
    return false;
  }
  if (path !== LOCAL_PROMOTIONS_PATH) {
    discardRest(request);
    sendJson(response, 404, GATEWAY_ERRORS.notFound);
    return true;
  }
  if (method !== "GET" && method !== "POST") {
    discardRest(request);
    sendJson(response, 405, GATEWAY_ERRORS.methodNotAllowed, { allow: "GET, POST" });
    return true;
  }

  const key = headerValue(request.rawHeaders, apiKeyHeader);
  const appId = key ? await backend.appOf(key) : undefined;
  if (appId === undefined) {
    discardRest(request);
    sendJson(response, 401, GATEWAY_ERRORS.unauthorized, { connection: "close" });
    return true;
  }

  if (method === "GET") {
    discardRest(request);
    sendJson(response, 200, { appId, promotions: await merged(backend, appId) });
    return true;
  }

  const body = await readBody(request, BODY_LIMIT);
  if (body.kind === "too-large") {
    discardRest(request);
    sendJson(response, 413, tooLarge(BODY_LIMIT), { connection: "close" });
    return true;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body.body.toString("utf8"));
  } catch {
    sendJson(response, 400, {
      message:
        'body must be JSON: { "name": "double-11", "from": "2026-11-09", "to": "2026-11-12" }',
    });
    return true;
  }

  try {
    const promotion = await serialized(backend, appId, async () => {
      const candidate = parsePromotion(raw, BODY_KEY);
      checkPromotionAgainst(await merged(backend, appId), candidate, BODY_KEY);
      await backend.store.add(appId, candidate);
      return candidate;
    });
    sendJson(response, 201, { appId, promotion });
  } catch (error) {
    if (error instanceof PromotionError) {
      sendJson(response, 400, refusal(error));
    } else if (error instanceof PromotionConflictError) {
      sendJson(response, 409, { message: error.message });
    } else {
      throw error;
    }
  }
  return true;
}
