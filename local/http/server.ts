/**
 * Local API Gateway: turns HTTP requests into the events API Gateway sends the same handlers
 * (REQUEST authorizer first, then the route's Lambda proxy integration), plus the local-only
 * endpoints (health, dashboard, stats, idle, run a schedule now). Nothing a client sends may
 * crash it: every path ends in a JSON answer, and handler failures are logged, never echoed.
 *
 * The server listens before the emulators are up, so a taken port fails in milliseconds rather
 * than after the JVM start; until `attach`, it answers 503.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { now } from "../../lambdas/shared/clock.js";
import type { FunctionName, RouteSpec } from "../../lib/topology.js";
import { AsOfError, parseAsOf } from "../as-of.js";
import { EnvironmentError, errorMessage } from "../errors.js";
import type { IdleReport } from "../idle.js";
import type { LocalLogger } from "../log.js";
import { FunctionTimeoutError } from "../runtime/function-runtime.js";
import type { LocalStats } from "../stats.js";
import { type ListActions, LOCAL_ACTIONS_PATH, serveActions } from "./actions-route.js";
import {
  buildAuthorizerEvent,
  buildProxyEvent,
  evaluateAuthorizerResult,
  type HttpRequestInput,
  headerValue,
} from "./api-gateway-events.js";
import { handleClockRoute, LOCAL_CLOCK_PATH } from "./clock-routes.js";
import { type ExportBtydCbs, LOCAL_EXPORT_BTYD_CBS, serveBtydCbsExport } from "./export-route.js";
import { handleKeyRoutes, type LocalKeyBackend } from "./keys-routes.js";
import { handleModelRoutes, type LocalModelBackend } from "./model-routes.js";
import { handlePromotionRoutes, type LocalPromotionBackend } from "./promotions-routes.js";
import { discardRest, readBody } from "./read-body.js";
import { GATEWAY_ERRORS, sendHtml, sendJson, tooLarge, writeProxyResult } from "./responses.js";
import { matchPath, matchRoute } from "./route-match.js";
import type { RateLimiter } from "./token-bucket.js";

/** The local-only endpoints' backends. */
export interface LocalEndpoints {
  dashboard(): Promise<string>;
  stats(): Promise<LocalStats>;
  idle(): Promise<IdleReport>;
  /** Resolves with the target's result; rejects with UnknownScheduleError for a bad name. */
  runSchedule(name: string, asOf: Date): Promise<unknown>;
  /** Whether the key is an active key in the apiKeys table. */
  checkApiKey(key: string): Promise<boolean>;
  /** `/_local/keys` (`churnwatch keys`), for local mode's own key only. */
  readonly keys?: LocalKeyBackend;
  /** The OpenAPI document `GET /openapi.json` serves, without a key. */
  readonly openapi?: () => unknown;
  /** `GET /_local/export/btyd-cbs` (`churnwatch export`): the key's app's BTYD inputs. */
  readonly exportBtydCbs?: ExportBtydCbs;
  /** `/_local/promotions` (`churnwatch promotions`). */
  readonly promotions?: LocalPromotionBackend;
  /** `/_local/models/*`, `/_local/evaluate`, `/_local/runs/*` (`fit`, `train`, `evaluate`, `score`). */
  readonly models?: LocalModelBackend;
  /** `GET /_local/actions` (`churnwatch simulate --treatment-effect`): the key's app's action records. */
  readonly actions?: ListActions;
}

export class UnknownScheduleError extends Error {
  override readonly name = "UnknownScheduleError";
}

export interface ApiDependencies {
  readonly routes: readonly RouteSpec[];
  readonly invoke: (name: FunctionName, event: unknown) => Promise<unknown>;
  readonly local: LocalEndpoints;
  readonly maxBodyBytes: number;
  readonly apiKeyHeader: string;
  readonly region: string;
  /** Per-key throttling after authentication, as a usage plan does on AWS. */
  readonly throttle?: RateLimiter;
}

export interface LocalHttpServer {
  readonly server: Server;
  readonly port: number;
  attach(dependencies: ApiDependencies): void;
  close(): Promise<void>;
}

const LOCAL_SCHEDULE_RUN = "/_local/schedules/{name}/run";
const LOCAL_GET_PATHS = new Set(["/", "/health", "/openapi.json", "/_local/stats", "/_local/idle"]);
const SCHEDULE_BODY_LIMIT = 16 * 1024;
const CLOSE_GRACE_MS = 3_000;

function pathOf(url: string): string {
  const path = url.split("?")[0] ?? "/";
  return path.startsWith("/") ? path : `/${path}`;
}

function requestInput(
  request: IncomingMessage,
  body: string | null,
  requestId: string,
  region: string,
): HttpRequestInput {
  return {
    method: request.method ?? "GET",
    url: request.url ?? "/",
    rawHeaders: request.rawHeaders,
    body,
    sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
    requestId,
    receivedAt: new Date(),
    host: request.headers.host ?? "127.0.0.1",
    region,
  };
}

export function createRequestHandler(
  dependencies: () => ApiDependencies | undefined,
  logger: LocalLogger,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  async function authorizeLocal(
    deps: ApiDependencies,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<boolean> {
    const key = headerValue(request.rawHeaders, deps.apiKeyHeader);
    if (key && (await deps.local.checkApiKey(key))) return true;
    discardRest(request);
    sendJson(response, 401, GATEWAY_ERRORS.unauthorized, { connection: "close" });
    return false;
  }

  async function handleLocal(
    deps: ApiDependencies,
    request: IncomingMessage,
    response: ServerResponse,
    method: string,
    path: string,
  ): Promise<boolean> {
    if (path === "/" && method === "GET") {
      sendHtml(response, await deps.local.dashboard());
      return true;
    }
    if (path === "/openapi.json" && method === "GET" && deps.local.openapi) {
      sendJson(response, 200, deps.local.openapi());
      return true;
    }
    const keys = deps.local.keys;
    if (keys && (await handleKeyRoutes(keys, request, response, deps.apiKeyHeader))) return true;
    const promotions = deps.local.promotions;
    if (
      promotions &&
      (await handlePromotionRoutes(promotions, request, response, deps.apiKeyHeader))
    ) {
      return true;
    }
    const models = deps.local.models;
    if (models && (await handleModelRoutes(models, request, response, deps.apiKeyHeader))) {
      return true;
    }
    if (path === LOCAL_CLOCK_PATH) {
      if (await authorizeLocal(deps, request, response)) {
        await handleClockRoute(request, response, path);
      }
      return true;
    }
    if (path === "/_local/stats" && method === "GET") {
      if (await authorizeLocal(deps, request, response)) {
        sendJson(response, 200, await deps.local.stats());
      }
      return true;
    }
    if (path === "/_local/idle" && method === "GET") {
      if (await authorizeLocal(deps, request, response)) {
        sendJson(response, 200, await deps.local.idle());
      }
      return true;
    }
    const exportBtydCbs = deps.local.exportBtydCbs;
    if (path === LOCAL_EXPORT_BTYD_CBS && method === "GET" && exportBtydCbs) {
      if (await authorizeLocal(deps, request, response)) {
        const key = headerValue(request.rawHeaders, deps.apiKeyHeader) as string;
        await serveBtydCbsExport(exportBtydCbs, key, request, response);
      }
      return true;
    }
    const listActions = deps.local.actions;
    if (path === LOCAL_ACTIONS_PATH && method === "GET" && listActions) {
      if (await authorizeLocal(deps, request, response)) {
        const key = headerValue(request.rawHeaders, deps.apiKeyHeader) as string;
        await serveActions(listActions, key, request, response);
      }
      return true;
    }
    let run: Readonly<Record<string, string>> | undefined;
    try {
      run = matchPath(LOCAL_SCHEDULE_RUN, path);
    } catch {
      run = undefined; // broken %-encoding: not a schedule name, left to the 404 below
    }
    if (run && method === "POST") {
      if (await authorizeLocal(deps, request, response)) {
        await runSchedule(deps, request, response, run.name as string);
      }
      return true;
    }
    const knownLocalPath = run !== undefined || LOCAL_GET_PATHS.has(path);
    if (knownLocalPath) {
      sendJson(response, 405, GATEWAY_ERRORS.methodNotAllowed);
      return true;
    }
    if (path.startsWith("/_local/")) {
      sendJson(response, 404, GATEWAY_ERRORS.notFound);
      return true;
    }
    return false;
  }

  async function runSchedule(
    deps: ApiDependencies,
    request: IncomingMessage,
    response: ServerResponse,
    name: string,
  ): Promise<void> {
    const body = await readBody(request, SCHEDULE_BODY_LIMIT);
    if (body.kind === "too-large") {
      discardRest(request);
      sendJson(response, 413, tooLarge(SCHEDULE_BODY_LIMIT), { connection: "close" });
      return;
    }
    let asOf = now();
    const text = body.body.toString("utf8").trim();
    if (text !== "") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        sendJson(response, 400, { message: 'body must be JSON: { "asOf": "2024-05-01" }' });
        return;
      }
      const raw = (parsed as { asOf?: unknown } | null)?.asOf;
      if (raw !== undefined && raw !== null) {
        if (typeof raw !== "string") {
          sendJson(response, 400, { message: "asOf must be a string date" });
          return;
        }
        try {
          asOf = parseAsOf(raw);
        } catch (error) {
          if (!(error instanceof AsOfError)) throw error;
          sendJson(response, 400, { message: error.message });
          return;
        }
      }
    }
    try {
      sendJson(response, 200, (await deps.local.runSchedule(name, asOf)) ?? null);
    } catch (error) {
      if (error instanceof UnknownScheduleError) {
        sendJson(response, 404, { message: error.message });
        return;
      }
      logger.error("scheduled run failed", { schedule: name, error: errorMessage(error) });
      // Local and key-protected: the message helps whoever runs it; the stack stays in the log.
      sendJson(response, 500, { message: "the scheduled run failed", error: errorMessage(error) });
    }
  }

  async function handleApi(
    deps: ApiDependencies,
    request: IncomingMessage,
    response: ServerResponse,
    method: string,
    path: string,
    requestId: string,
  ): Promise<void> {
    const match = matchRoute(deps.routes, method, path);
    if (match.kind === "not-found") {
      sendJson(response, 404, GATEWAY_ERRORS.notFound);
      return;
    }
    if (match.kind === "bad-path") {
      sendJson(response, 400, { message: "Bad request: the path is not valid URL encoding" });
      return;
    }
    if (match.kind === "method-not-allowed") {
      sendJson(response, 405, GATEWAY_ERRORS.methodNotAllowed, { allow: match.allowed.join(", ") });
      return;
    }
    // The authorizer's identity source is the key header: without it, API Gateway answers 401
    // without calling the authorizer.
    if (!headerValue(request.rawHeaders, deps.apiKeyHeader)) {
      discardRest(request);
      sendJson(response, 401, GATEWAY_ERRORS.unauthorized, { connection: "close" });
      return;
    }
    const body = await readBody(request, deps.maxBodyBytes);
    if (body.kind === "too-large") {
      discardRest(request);
      sendJson(response, 413, tooLarge(deps.maxBodyBytes), { connection: "close" });
      return;
    }
    const route = { resource: match.route.path, pathParameters: match.pathParameters };
    const input = requestInput(
      request,
      body.body.length > 0 ? body.body.toString("utf8") : null,
      requestId,
      deps.region,
    );

    const authorizerEvent = buildAuthorizerEvent(input, route);
    const authorizerStarted = Date.now();
    let authorizerResult: unknown;
    try {
      authorizerResult = await deps.invoke("authorizer", authorizerEvent);
    } catch (error) {
      if (error instanceof Error && error.message === "Unauthorized") {
        sendJson(response, 401, GATEWAY_ERRORS.unauthorized);
        return;
      }
      logger.error("authorizer failed", { requestId, error: errorMessage(error) });
      sendJson(response, 500, GATEWAY_ERRORS.internal);
      return;
    }
    const decision = evaluateAuthorizerResult(
      authorizerResult,
      authorizerEvent.methodArn,
      Date.now() - authorizerStarted,
    );
    if (decision.kind === "deny") {
      sendJson(response, 403, GATEWAY_ERRORS.forbidden);
      return;
    }
    if (decision.kind === "invalid") {
      logger.error("authorizer answer not understood", { requestId, reason: decision.reason });
      sendJson(response, 500, GATEWAY_ERRORS.internal);
      return;
    }
    // Metered on the authorizer's usageIdentifierKey, as the usage plan does (apiKeySource
    // AUTHORIZER); the header's key when the authorizer names none.
    const usageKey = (authorizerResult as { usageIdentifierKey?: unknown }).usageIdentifierKey;
    const throttled = deps.throttle?.take(
      typeof usageKey === "string" && usageKey !== ""
        ? usageKey
        : (headerValue(request.rawHeaders, deps.apiKeyHeader) as string),
    );
    if (throttled && !throttled.allowed) {
      sendJson(response, 429, GATEWAY_ERRORS.throttled, {
        "retry-after": String(throttled.retryAfterSeconds),
      });
      return;
    }

    let result: unknown;
    try {
      result = await deps.invoke(
        match.route.handler,
        buildProxyEvent(input, route, decision.context),
      );
    } catch (error) {
      if (error instanceof FunctionTimeoutError) {
        logger.error("handler timed out", { requestId, handler: match.route.handler });
        sendJson(response, 504, GATEWAY_ERRORS.timeout);
        return;
      }
      logger.error("handler failed", {
        requestId,
        handler: match.route.handler,
        error: errorMessage(error),
      });
      sendJson(response, 500, GATEWAY_ERRORS.internal);
      return;
    }
    if (!writeProxyResult(response, result)) {
      logger.error("handler returned a malformed proxy result", {
        requestId,
        handler: match.route.handler,
      });
      sendJson(response, 502, GATEWAY_ERRORS.internal);
    }
  }

  return async (request, response) => {
    const requestId = randomUUID();
    response.setHeader("x-amzn-requestid", requestId);
    try {
      const method = (request.method ?? "GET").toUpperCase();
      const path = pathOf(request.url ?? "/");
      const deps = dependencies();
      if (path === "/health" && method === "GET") {
        sendJson(response, deps ? 200 : 503, {
          status: deps ? "ok" : "starting",
          service: "churnwatch-local",
          uptimeSeconds: Math.round(process.uptime()),
        });
        return;
      }
      if (!deps) {
        discardRest(request);
        sendJson(response, 503, GATEWAY_ERRORS.notReady, { "retry-after": "1" });
        return;
      }
      if (await handleLocal(deps, request, response, method, path)) return;
      await handleApi(deps, request, response, method, path, requestId);
    } catch (error) {
      logger.error("request failed", { requestId, error: errorMessage(error) });
      discardRest(request);
      if (!response.headersSent) sendJson(response, 500, GATEWAY_ERRORS.internal);
      else response.destroy();
    }
  };
}

/** Binds 127.0.0.1 only: local mode has no TLS and its dashboard needs no key. */
export async function startHttpServer(port: number, logger: LocalLogger): Promise<LocalHttpServer> {
  let dependencies: ApiDependencies | undefined;
  const handler = createRequestHandler(() => dependencies, logger);
  const server = createServer((request, response) => {
    void handler(request, response);
  });
  server.on("clientError", (error, socket) => {
    logger.debug("malformed HTTP request", { error: errorMessage(error) });
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      reject(
        error.code === "EADDRINUSE"
          ? new EnvironmentError(
              `port ${port} is in use: stop the other process or set PORT (or --port)`,
            )
          : error,
      );
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, "127.0.0.1");
  });
  server.on("error", (error) => logger.error("HTTP server error", { error: errorMessage(error) }));
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  let closing: Promise<void> | undefined;
  return {
    server,
    port: boundPort,
    attach(deps) {
      dependencies = deps;
    },
    close() {
      closing ??= new Promise((resolve) => {
        // Requests in progress get a moment to finish; idle keep-alive connections close now.
        const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        grace.unref();
        server.close(() => {
          clearTimeout(grace);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
