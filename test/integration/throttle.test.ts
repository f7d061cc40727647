/**
 * Per-key throttling on local mode, with a tiny bucket: after the burst a key gets 429 with
 * Retry-After, other keys do not notice, and the key is let through again once tokens refill.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalMode, startLocal } from "../../local/index.js";

let local: LocalMode;

function get(path: string, key?: string) {
  return fetch(`${local.url}${path}`, { headers: key ? { "x-api-key": key } : {} });
}

beforeAll(async () => {
  local = await startLocal({ port: 0, schedules: false, throttle: { rate: 2, burst: 2 } });
});

afterAll(async () => {
  await local?.stop();
});

describe("local throttling", () => {
  it("answers 429 with Retry-After past the burst, per key, and lets the key in again", async () => {
    expect(local.throttle).toEqual({ rate: 2, burst: 2 });
    const created = await fetch(`${local.url}/_local/keys`, {
      method: "POST",
      headers: { "x-api-key": local.apiKey, "content-type": "application/json" },
      body: JSON.stringify({ appId: "other" }),
    });
    const other = ((await created.json()) as { key: string }).key;

    // Warm the handlers up with the other key, so the loop below runs back to back.
    expect((await get("/v1/users/u-1", other)).status).toBe(404);

    const statuses: number[] = [];
    let throttled: Response | undefined;
    for (let i = 0; i < 5; i++) {
      const response = await get("/v1/users/u-1", local.apiKey);
      statuses.push(response.status);
      if (response.status === 429) throttled = response;
      else await response.arrayBuffer();
    }
    // Two tokens, refilling at 2/s: a third request within the same few milliseconds is over.
    expect(statuses.slice(0, 2)).toEqual([404, 404]);
    expect(statuses).toContain(429);
    expect(throttled?.headers.get("retry-after")).toBe("1");
    expect(await throttled?.json()).toEqual({ message: "Too Many Requests" });

    // Another key has its own bucket; unauthenticated requests are refused before metering;
    // local endpoints are not metered.
    expect((await get("/v1/users/u-1", other)).status).toBe(404);
    expect((await get("/v1/users/u-1", "nobody")).status).toBe(401);
    expect((await get("/v1/users/u-1")).status).toBe(401);
    expect((await get("/health")).status).toBe(200);
    expect((await get("/_local/stats", local.apiKey)).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await get("/v1/users/u-1", local.apiKey)).status).toBe(404);
  });
});
