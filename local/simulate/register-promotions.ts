/**
 * Registers a simulated shop's promotion calendar with the running local mode
 * (`/_local/promotions`, see local/http/promotions-routes.ts), before its events are posted, so
 * scoring knows the sales the simulated users reacted to.
 *
 * Idempotent: a promotion already there with the same name and days (the same simulate run
 * again, or PROMOTIONS configured that way) counts as done. One that shares a name or a day with
 * a different promotion is refused by the server; that ends the run with its message.
 */
import type { Promotion } from "../../lambdas/domain/promotions.js";
import { serverUnreachable } from "../cli/local-client.js";
import { LocalModeError } from "../errors.js";
import { type ListedPromotion, LOCAL_PROMOTIONS_PATH } from "../http/promotions-routes.js";

export type PromotionStatus = "added" | "already registered";

export interface RegisteredPromotion extends Promotion {
  readonly status: PromotionStatus;
}

export interface PromotionTarget {
  readonly url: string;
  readonly apiKey: string;
  readonly fetch: typeof fetch;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

async function call(target: PromotionTarget, method: "GET" | "POST", body?: unknown) {
  let response: Response;
  try {
    response = await target.fetch(`${target.url}${LOCAL_PROMOTIONS_PATH}`, {
      method,
      headers: {
        "x-api-key": target.apiKey,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw serverUnreachable(target.url, error);
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    parsed = text;
  }
  const answer: Answer = { status: response.status, body: parsed };
  if (answer.status === 401) {
    throw new LocalModeError(
      `the server at ${target.url} refused the API key: pass --api-key or set CHURNWATCH_API_KEY`,
      1,
    );
  }
  if (answer.status === 404) {
    throw new LocalModeError(
      `${target.url} has no ${LOCAL_PROMOTIONS_PATH}: simulate needs churnwatch local mode (\`npm start\`)`,
      1,
    );
  }
  return answer;
}

function messageOf(body: unknown): string | undefined {
  if (typeof body === "object" && body !== null) {
    const message = (body as { message?: unknown }).message;
    if (typeof message === "string" && message !== "") return message;
  }
  return typeof body === "string" && body.trim() !== "" ? body.trim() : undefined;
}

function isListing(body: unknown): body is { promotions: ListedPromotion[] } {
  return (
    typeof body === "object" &&
    body !== null &&
    Array.isArray((body as { promotions?: unknown }).promotions)
  );
}

function same(a: Promotion, b: Promotion): boolean {
  return a.name === b.name && a.from === b.from && a.to === b.to;
}

/**
 * Adds each promotion not yet registered, in calendar order.
 * @throws LocalModeError (exit code 1) with the server's reason when it refuses one, e.g. a
 *   promotion of an earlier simulated shop with the same name on other days.
 */
export async function registerPromotions(
  promotions: readonly Promotion[],
  target: PromotionTarget,
): Promise<RegisteredPromotion[]> {
  const listed = await call(target, "GET");
  if (listed.status !== 200 || !isListing(listed.body)) {
    const message = messageOf(listed.body);
    throw new LocalModeError(
      `GET ${LOCAL_PROMOTIONS_PATH} failed with ${listed.status}${message ? `: ${message}` : ""}`,
      1,
    );
  }
  const existing = listed.body.promotions;
  const out: RegisteredPromotion[] = [];
  for (const promotion of promotions) {
    if (existing.some((other) => same(other, promotion))) {
      out.push({ ...promotion, status: "already registered" });
      continue;
    }
    const { name, from, to } = promotion;
    const added = await call(target, "POST", { name, from, to });
    if (added.status === 201 || added.status === 200) {
      out.push({ ...promotion, status: "added" });
      continue;
    }
    const message = messageOf(added.body) ?? `answered ${added.status}`;
    const refused = added.status === 400 || added.status === 409;
    throw new LocalModeError(
      refused
        ? `churnwatch simulate: the server refused promotion "${name}" (${from}..${to}): ${message}\n` +
            "A different shop's promotions are registered on this local mode (another --seed, " +
            "--start or --days?): simulate into a fresh local mode (restart `npm start`; without " +
            "--data-dir its data is in memory), or repeat the earlier run's flags."
        : `POST ${LOCAL_PROMOTIONS_PATH} failed for promotion "${name}" with ${added.status}: ${message}`,
      1,
    );
  }
  return out;
}
