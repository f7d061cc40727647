/**
 * `GET /_local/export/btyd-cbs?calibrationEnd=YYYY-MM-DD[&userPrefix=P]` (API key required): the
 * key's app's BTYD inputs as CSV (see local/export.ts), for `churnwatch export`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { formatBtydCbsCsv } from "../../lambdas/domain/btyd.js";
import { type BtydCbsExport, type BtydCbsQuery, ExportQueryError } from "../export.js";
import { sendJson } from "./responses.js";

export const LOCAL_EXPORT_BTYD_CBS = "/_local/export/btyd-cbs";

/** Resolves undefined when the key belongs to no active app. */
export type ExportBtydCbs = (
  apiKey: string,
  query: BtydCbsQuery,
) => Promise<BtydCbsExport | undefined>;

export async function serveBtydCbsExport(
  exportBtydCbs: ExportBtydCbs,
  apiKey: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const params = new URL(request.url ?? "/", "http://local").searchParams;
  const calibrationEnd = params.get("calibrationEnd");
  if (!calibrationEnd) {
    sendJson(response, 400, {
      message: "calibrationEnd is required: ?calibrationEnd=YYYY-MM-DD (the last day counted)",
    });
    return;
  }
  const userPrefix = params.get("userPrefix") ?? undefined;
  let result: BtydCbsExport | undefined;
  try {
    result = await exportBtydCbs(apiKey, { calibrationEnd, ...(userPrefix ? { userPrefix } : {}) });
  } catch (error) {
    if (error instanceof ExportQueryError) {
      sendJson(response, 400, { message: error.message });
      return;
    }
    throw error;
  }
  if (!result) {
    sendJson(response, 401, { message: "Unauthorized" });
    return;
  }
  const csv = formatBtydCbsCsv(result.rows);
  response.writeHead(200, {
    "content-type": "text/csv; charset=utf-8",
    "content-length": String(Buffer.byteLength(csv)),
    "cache-control": "no-store",
    "x-churnwatch-rows": String(result.rows.length),
    "x-churnwatch-profiles": String(result.profiles),
  });
  response.end(csv);
}
