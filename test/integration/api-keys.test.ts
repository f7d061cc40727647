/**
 * Per-app API keys on local mode, end to end: `churnwatch keys` issues, lists and revokes them
 * (against local mode and, with `--aws`, against a DynamoDB table directly); each key sees only
 * its own app's data; a revoked key is refused. Also: `/openapi.json` is served without a key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../../lambdas/domain/openapi.js";
import type { CliIo } from "../../local/cli/io.js";
import { runCli } from "../../local/cli/run.js";
import { type LocalMode, startLocal } from "../../local/index.js";

let local: LocalMode;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
type Json = Record<string, any>;

function fakeIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env: {} };
  return { io, out: () => out.join(""), err: () => err.join("") };
}

/** `churnwatch keys …` against this local mode, as its administrator unless told otherwise. */
async function keys(args: string[], apiKey = local.apiKey) {
  const { io, out, err } = fakeIo();
  const code = await runCli(["keys", ...args, "--url", local.url, "--api-key", apiKey], io);
  return { code, out: out(), err: err() };
}

async function createKey(appId: string): Promise<Json> {
  const created = await keys(["create", "--app", appId, "--json"]);
  expect(created.code, created.err).toBe(0);
  return JSON.parse(created.out) as Json;
}

async function api(key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${local.url}${path}`, {
    method,
    headers: { "x-api-key": key, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

const hourAgo = Date.now() - 3_600_000;
function events(prefix: string, type: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    eventId: `${prefix}-${i}`,
    userId: "u-1",
    type,
    occurredAt: new Date(hourAgo + i * 1000).toISOString(),
  }));
}

beforeAll(async () => {
  local = await startLocal({ port: 0, schedules: false });
});

afterAll(async () => {
  await local?.stop();
});

describe("churnwatch keys on local mode", () => {
  let keyA: Json;
  let keyB: Json;

  it("creates a key per app, printed once, and lists them without secrets", async () => {
    keyA = await createKey("shop-a");
    keyB = await createKey("shop-b");
    expect(keyA.key).toMatch(/^cw_[A-Za-z0-9_-]{43}$/);
    expect(keyA).toMatchObject({ appId: "shop-a", name: "shop-a", status: "active" });
    expect(keyA.keyId).toMatch(/^[0-9a-f]{12}$/);
    expect(keyA.warning).toMatch(/only time the key is shown/);

    const text = await keys(["create", "--app", "shop-a", "--name", "backup"]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^cw_[A-Za-z0-9_-]{43}\n$/);
    expect(text.err).toMatch(/created API key [0-9a-f]{12} for app "shop-a" \(name "backup"\)/);

    const listed = await keys(["list", "--json"]);
    expect(listed.code).toBe(0);
    const all = JSON.parse(listed.out).keys as Json[];
    expect(all.map((key) => key.appId).sort()).toEqual(["local", "shop-a", "shop-a", "shop-b"]);
    for (const secret of [keyA.key, keyB.key]) expect(listed.out).not.toContain(secret);
    expect(Object.keys(all[0] ?? {}).sort()).toEqual([
      "appId",
      "createdAt",
      "keyId",
      "name",
      "status",
    ]);

    const onlyB = await keys(["list", "--app", "shop-b"]);
    expect(onlyB.out).toContain(keyB.keyId);
    expect(onlyB.out).not.toContain(keyA.keyId);
  });

  it("keeps two apps' data apart, for the same userId", async () => {
    expect(
      (await api(keyA.key, "POST", "/v1/events", { events: events("a", "app_open", 2) })).body,
    ).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    // B reuses A's event IDs too: dedupe is per app, so none of them is a duplicate.
    const fromB = await api(keyB.key, "POST", "/v1/events", {
      events: [...events("a", "login", 2), ...events("b", "login", 1)],
    });
    expect(fromB.body).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    await api(keyA.key, "PUT", "/v1/users/u-1/contact", {
      channels: { email: { address: "a@example.com", consent: { granted: true } } },
    });
    await local.waitForIdle();

    const seenByA = await api(keyA.key, "GET", "/v1/users/u-1");
    const seenByB = await api(keyB.key, "GET", "/v1/users/u-1");
    expect(seenByA.body.features).toMatchObject({ eventCount: 2, countsByType: { app_open: 2 } });
    expect(seenByA.body.features.countsByType.login).toBeUndefined();
    expect(seenByB.body.features).toMatchObject({ eventCount: 3, countsByType: { login: 3 } });
    expect(seenByB.body.features.countsByType.app_open).toBeUndefined();
    expect(seenByA.body.consent.email.reachable).toBe(true);
    expect(seenByB.body.consent.email.reachable).toBe(false);
    // The dev key's app has no such user at all.
    expect((await api(local.apiKey, "GET", "/v1/users/u-1")).status).toBe(404);

    // Erasure through A leaves B's user alone.
    expect((await api(keyA.key, "DELETE", "/v1/users/u-1")).status).toBe(200);
    expect((await api(keyA.key, "GET", "/v1/users/u-1")).status).toBe(404);
    expect((await api(keyB.key, "GET", "/v1/users/u-1")).body.features.eventCount).toBe(3);
  });

  it("lets only local mode's own key manage keys", async () => {
    const asApp = await keys(["list"], keyA.key);
    expect(asApp.code).toBe(1);
    expect(asApp.err).toMatch(/403: only local mode's own API key/);
    const unknown = await keys(["list"], "not-a-key");
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/refused the API key/);
    const own = JSON.parse((await keys(["list", "--json", "--app", "local"])).out).keys[0];
    const selfRevoke = await keys(["revoke", own.keyId]);
    expect(selfRevoke.code).toBe(1);
    expect(selfRevoke.err).toMatch(/the key the request was made with/);
  });

  it("revokes a key: refused from then on, the other app unaffected", async () => {
    const revoked = await keys(["revoke", keyA.keyId]);
    expect(revoked.code, revoked.err).toBe(0);
    expect(revoked.out).toMatch(new RegExp(`revoked API key ${keyA.keyId} \\(app "shop-a"\\)`));
    expect((await api(keyA.key, "GET", "/v1/users/u-1")).status).toBe(401);
    expect(
      (await api(keyA.key, "POST", "/v1/events", { events: events("late", "login", 1) })).status,
    ).toBe(401);
    expect((await api(keyB.key, "GET", "/v1/users/u-1")).status).toBe(200);

    const again = await keys(["revoke", keyA.keyId, "--json"]);
    expect(JSON.parse(again.out)).toMatchObject({ alreadyRevoked: true, status: "revoked" });
    const listed = JSON.parse((await keys(["list", "--json", "--app", "shop-a"])).out).keys;
    expect(listed.find((key: Json) => key.keyId === keyA.keyId)).toMatchObject({
      status: "revoked",
      revokedAt: expect.any(String),
    });
    const missing = await keys(["revoke", "000000000000"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/404: no API key with ID 000000000000/);
  });

  it("with --aws, writes the hashed record to the table and prints the API Gateway commands", async () => {
    // The SDK's standard endpoint override points the "AWS" path at DynamoDB Local here;
    // local mode already set dummy credentials and a region in the environment.
    process.env.AWS_ENDPOINT_URL_DYNAMODB = local.endpoints.dynamodb;
    try {
      const table = local.resources.tables.apiKeys;
      const { io, out, err } = fakeIo();
      const code = await runCli(
        ["keys", "create", "--aws", "--table", table, "--usage-plan", "plan123", "--app", "shop-c"],
        io,
      );
      expect(code, err()).toBe(0);
      const key = out().trim();
      expect(err()).toContain("aws apigateway create-api-key --name churnwatch-shop-c-");
      expect(err()).toContain(`--value ${key} --enabled`);
      expect(err()).toContain("aws apigateway create-usage-plan-key --usage-plan-id plan123");
      // Locally there is no usage plan: the record alone makes the key work.
      expect((await api(key, "GET", "/v1/users/u-1")).status).toBe(404);

      const listed = fakeIo();
      expect(
        await runCli(["keys", "list", "--aws", "--table", table, "--app", "shop-c"], listed.io),
      ).toBe(0);
      const keyId = listed.out().split("\n")[1]?.split(/\s+/)[0] as string;
      expect(keyId).toMatch(/^[0-9a-f]{12}$/);

      const revoked = fakeIo();
      expect(await runCli(["keys", "revoke", keyId, "--aws", "--table", table], revoked.io)).toBe(
        0,
      );
      expect(revoked.err()).toContain("aws apigateway update-api-key");
      expect((await api(key, "GET", "/v1/users/u-1")).status).toBe(401);

      const noTable = fakeIo();
      expect(await runCli(["keys", "list", "--aws", "--table", "no-such-table"], noTable.io)).toBe(
        1,
      );
      expect(noTable.err()).toMatch(/DynamoDB table no-such-table: ResourceNotFoundException/);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
    }
  });
});

describe("/openapi.json", () => {
  it("is served without a key, with this local mode as its first server", async () => {
    const response = await fetch(`${local.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as Json;
    expect(document).toEqual(buildOpenApiDocument(local.url));
    expect(document.servers[0].url).toBe(local.url);
    expect((await fetch(`${local.url}/openapi.json`, { method: "POST" })).status).toBe(405);
  });
});
