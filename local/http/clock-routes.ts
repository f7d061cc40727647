/**
 * `/_local/clock`: moves the clock of the actions path (lambdas/shared/clock.ts), so what happens
 * at 09:00 in a user's time zone — quiet hours ending, a deferred message going out — can be
 * seen now. Forward or back, local mode only; scoring and ingestion keep the real time.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { now, resetLocalClock, setLocalClock } from "../../lambdas/shared/clock.js";
import { readBody } from "./read-body.js";
import { sendJson } from "./responses.js";

export const LOCAL_CLOCK_PATH = "/_local/clock";
const BODY_LIMIT = 1024;

function clockState() {
  const at = now();
  return { now: at.toISOString(), offsetMs: at.getTime() - Date.now() };
}

/** Handles the request if it is for the clock; false otherwise. Authorization is the caller's. */
export async function handleClockRoute(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
): Promise<boolean> {
  if (path !== LOCAL_CLOCK_PATH) return false;
  switch (request.method) {
    case "GET":
      sendJson(response, 200, clockState());
      return true;
    case "DELETE":
      resetLocalClock();
      sendJson(response, 200, clockState());
      return true;
    case "PUT":
    case "POST": {
      const body = await readBody(request, BODY_LIMIT);
      const text = body.kind === "too-large" ? "" : body.body.toString("utf8");
      let at: Date | undefined;
      try {
        const raw = (JSON.parse(text) as { now?: unknown }).now;
        if (typeof raw === "string" && /\d{4}-\d{2}-\d{2}T/.test(raw)) at = new Date(raw);
      } catch {
        at = undefined;
      }
      if (!at || Number.isNaN(at.getTime())) {
        sendJson(response, 400, {
          message:
            'body must be { "now": "<ISO 8601 instant>" }, e.g. { "now": "2026-11-24T01:00:00Z" }',
        });
        return true;
      }
      setLocalClock(at);
      sendJson(response, 200, clockState());
      return true;
    }
    default:
      sendJson(response, 405, { message: "use GET, PUT or DELETE" });
      return true;
  }
}
