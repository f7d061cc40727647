/**
 * `GET /_local/actions[?experiment=ID]` (API key required): the action records of the key's app
 * (what the plan step decided per warning: experiment, group, variant, outcome, as-of; see
 * lambdas/domain/actions/action-record.ts), for `churnwatch simulate --treatment-effect`, which
 * needs to know who was targeted and in which group.
 *
 *   200 {"appId": "...", "actions": [ActionRecord, ...], "count": N}
 *
 * The body is written page by page as the ledger is scanned, so a large app is never one string
 * in memory; a scan that fails midway cuts the connection, and the truncated body is not JSON, so
 * a client cannot mistake it for a complete answer.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ActionRecord } from "../../lambdas/domain/actions/action-record.js";
import type { ActionFilter } from "../../lambdas/winback-ports.js";
import { sendJson } from "./responses.js";

export const LOCAL_ACTIONS_PATH = "/_local/actions";

const EXPERIMENT_ID = /^[A-Za-z0-9._:@/+-]{1,128}$/;

/** The key's app and its action records page by page; undefined when the key has no app. */
export type ListActions = (
  apiKey: string,
  filter: ActionFilter,
) => Promise<
  { readonly appId: string; readonly pages: AsyncIterable<readonly ActionRecord[]> } | undefined
>;

export async function serveActions(
  listActions: ListActions,
  apiKey: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const params = new URL(request.url ?? "/", "http://local").searchParams;
  for (const name of params.keys()) {
    if (name !== "experiment") {
      sendJson(response, 400, { message: `unknown query parameter "${name}" (known: experiment)` });
      return;
    }
  }
  const experiment = params.get("experiment");
  if (experiment !== null && !EXPERIMENT_ID.test(experiment)) {
    sendJson(response, 400, {
      message: "experiment must be an experiment ID: 1 to 128 letters, digits or . _ : @ / + -",
    });
    return;
  }
  const listed = await listActions(apiKey, experiment === null ? {} : { experimentId: experiment });
  if (!listed) {
    sendJson(response, 401, { message: "Unauthorized" });
    return;
  }
  // The first page before the status line: a scan that fails at once is still a clean 500.
  const pages = listed.pages[Symbol.asyncIterator]();
  let page = await pages.next();
  response.writeHead(200, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  response.write(`{"appId":${JSON.stringify(listed.appId)},"actions":[`);
  let count = 0;
  while (!page.done) {
    let chunk = "";
    for (const action of page.value) {
      chunk += `${count === 0 ? "" : ","}${JSON.stringify(action)}`;
      count += 1;
    }
    if (chunk !== "" && !response.write(chunk)) {
      // Backpressure; a client that went away never drains, so its close ends the wait too.
      await new Promise<void>((resolve) => {
        response.once("drain", resolve);
        response.once("close", resolve);
      });
      if (response.destroyed) {
        await pages.return?.();
        return;
      }
    }
    page = await pages.next();
  }
  response.end(`],"count":${count}}`);
}
