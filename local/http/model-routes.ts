/**
 * Local mode's model workbench, for `churnwatch fit`, `train`, `evaluate` and `score` (API key
 * of the app required; the key decides the app):
 *
 *   POST /_local/models/fit   { calibrationEnd, userPrefix? }                → 200 FitOutcome
 *   POST /_local/models/train { asOf, horizonDays, label?, userPrefix?, l2? } → 201 TrainOutcome
 *   GET  /_local/models                                                     → 200 { versions }
 *   POST /_local/evaluate     { calibrationEnd, holdoutEnd, label?, userPrefix?, truthFile? }
 *                                                                           → 200 StoreEvaluation
 *   GET  /_local/runs/{runId}                                               → 200 RunSummary
 *
 * A refused request is 400 with `{ message, fieldErrors? }` saying what is wrong.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { CHURN_ALGORITHMS } from "../../lambdas/domain/churn-model/train.js";
import { fieldErrors } from "../../lambdas/domain/validation.js";
import { WorkbenchError } from "../../lambdas/use-cases/model-workbench.js";
import type { LocalWorkbench } from "../workbench.js";
import { headerValue } from "./api-gateway-events.js";
import { discardRest, readBody } from "./read-body.js";
import { GATEWAY_ERRORS, sendJson, tooLarge } from "./responses.js";
import { matchPath } from "./route-match.js";

export interface LocalModelBackend {
  readonly workbench: LocalWorkbench;
  appOf(key: string): Promise<string | undefined>;
}

const BODY_LIMIT = 16 * 1024;
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD");
const label = z.enum(["activity", "purchase"]);
const userPrefix = z.string().min(1).max(128);

const fitSchema = z.object({ calibrationEnd: date, userPrefix: userPrefix.optional() }).strict();
const trainSchema = z
  .object({
    asOf: date,
    horizonDays: z.number().int().min(1).max(730),
    label: label.default("activity"),
    userPrefix: userPrefix.optional(),
    l2: z.number().positive().max(1e6).optional(),
    snapshots: z.number().int().min(1).max(24).optional(),
    algorithm: z.enum(["auto", ...CHURN_ALGORITHMS]).optional(),
  })
  .strict();
const evaluateSchema = z
  .object({
    calibrationEnd: date,
    holdoutEnd: date,
    label: label.default("activity"),
    userPrefix: userPrefix.optional(),
    truthFile: z.string().min(1).max(4096).optional(),
  })
  .strict();

const ROUTES = {
  fit: "/_local/models/fit",
  train: "/_local/models/train",
  models: "/_local/models",
  evaluate: "/_local/evaluate",
  run: "/_local/runs/{runId}",
} as const;

type Parsed<T> = { ok: true; value: T } | { ok: false };

async function parseBody<T>(
  request: IncomingMessage,
  response: ServerResponse,
  schema: z.ZodType<T>,
): Promise<Parsed<T>> {
  const body = await readBody(request, BODY_LIMIT);
  if (body.kind === "too-large") {
    discardRest(request);
    sendJson(response, 413, tooLarge(BODY_LIMIT), { connection: "close" });
    return { ok: false };
  }
  let raw: unknown;
  try {
    const text = body.body.toString("utf8").trim();
    raw = text === "" ? {} : JSON.parse(text);
  } catch {
    sendJson(response, 400, { message: "body must be a JSON object" });
    return { ok: false };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error);
    sendJson(response, 400, {
      message: errors.map((e) => `${e.field}: ${e.message}`).join("; "),
      fieldErrors: errors,
    });
    return { ok: false };
  }
  return { ok: true, value: parsed.data };
}

async function answer(response: ServerResponse, status: number, work: () => Promise<unknown>) {
  try {
    sendJson(response, status, await work());
  } catch (error) {
    if (error instanceof WorkbenchError) {
      sendJson(response, 400, { message: error.message });
      return;
    }
    throw error;
  }
}

/** Answers a workbench request; false when the path is not one of its routes. */
export async function handleModelRoutes(
  backend: LocalModelBackend,
  request: IncomingMessage,
  response: ServerResponse,
  apiKeyHeader: string,
): Promise<boolean> {
  const method = (request.method ?? "GET").toUpperCase();
  const path = (request.url ?? "/").split("?")[0] ?? "";
  let run: Readonly<Record<string, string>> | undefined;
  try {
    run = matchPath(ROUTES.run, path);
  } catch {
    run = undefined;
  }
  const expected =
    path === ROUTES.fit || path === ROUTES.train || path === ROUTES.evaluate
      ? "POST"
      : path === ROUTES.models || run
        ? "GET"
        : undefined;
  if (!expected) return false;
  if (method !== expected) {
    discardRest(request);
    sendJson(response, 405, GATEWAY_ERRORS.methodNotAllowed, { allow: expected });
    return true;
  }
  const key = headerValue(request.rawHeaders, apiKeyHeader);
  const appId = key ? await backend.appOf(key) : undefined;
  if (appId === undefined) {
    discardRest(request);
    sendJson(response, 401, GATEWAY_ERRORS.unauthorized, { connection: "close" });
    return true;
  }
  const { workbench } = backend;
  if (run) {
    discardRest(request);
    const summary = await workbench.runSummary(run.runId as string);
    if (summary) sendJson(response, 200, summary);
    else sendJson(response, 404, { message: `no scoring run ${run.runId}` });
    return true;
  }
  if (path === ROUTES.models) {
    discardRest(request);
    await answer(response, 200, async () => ({ appId, versions: await workbench.models(appId) }));
    return true;
  }
  if (path === ROUTES.fit) {
    const body = await parseBody(request, response, fitSchema);
    if (body.ok) await answer(response, 200, () => workbench.fit(appId, body.value));
    return true;
  }
  if (path === ROUTES.train) {
    const body = await parseBody(request, response, trainSchema);
    if (body.ok) await answer(response, 201, () => workbench.train(appId, body.value));
    return true;
  }
  const body = await parseBody(request, response, evaluateSchema);
  if (body.ok) await answer(response, 200, () => workbench.evaluate(appId, body.value));
  return true;
}
