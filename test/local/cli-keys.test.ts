import { describe, expect, it } from "vitest";
import {
  API_KEY_PREFIX,
  generateApiKey,
  keyIdOf,
  newApiKeyRecord,
  summarizeApiKey,
} from "../../lambdas/domain/api-key-issuing.js";
import { hashApiKey } from "../../lambdas/domain/api-keys.js";
import {
  apiGatewayCreateCommands,
  apiGatewayRevokeCommands,
  parseKeysArgs,
} from "../../local/cli/commands/keys.js";
import { startCommand } from "../../local/cli/commands/start.js";
import type { CliIo } from "../../local/cli/io.js";
import { runCli } from "../../local/cli/run.js";

function fakeIo(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env };
  return { io, out: () => out.join(""), err: () => err.join("") };
}

describe("API keys", () => {
  it("are long random strings, stored as a hash with a short non-secret ID", () => {
    const key = generateApiKey();
    expect(key).toMatch(/^cw_[A-Za-z0-9_-]{43}$/);
    expect(generateApiKey()).not.toBe(key);
    const record = newApiKeyRecord(key, "shop", "web", new Date("2026-01-02T03:04:05Z"));
    expect(record).toEqual({
      keyHash: hashApiKey(key),
      keyId: hashApiKey(key).slice(0, 12),
      appId: "shop",
      status: "active",
      name: "web",
      createdAt: "2026-01-02T03:04:05.000Z",
    });
    expect(JSON.stringify(record)).not.toContain(key.slice(API_KEY_PREFIX.length));
  });

  it("list shows no hash beyond the key ID, also for records made by hand", () => {
    const keyHash = hashApiKey("by-hand");
    const summary = summarizeApiKey({
      keyHash,
      appId: "shop",
      status: "revoked",
      name: "old",
      createdAt: "2026-01-01T00:00:00Z",
    });
    expect(summary.keyId).toBe(keyIdOf(keyHash));
    expect(JSON.stringify(summary)).not.toContain(keyHash);
  });
});

describe("churnwatch keys arguments", () => {
  it.each([
    [["keys"], /say what to do: create, list or revoke/],
    [["keys", "rotate"], /unknown action "rotate"/],
    [["keys", "create"], /keys create needs --app/],
    [["keys", "create", "--app", "Shop"], /--app "Shop" must be 1-63 lowercase letters/],
    [["keys", "create", "--app=-shop"], /--app "-shop" must be/],
    [["keys", "create", "--app", "a".repeat(64)], /--app "a+" must be/],
    [["keys", "create", "--app", "shop", "--name", ""], /--name "" must not be empty/],
    [["keys", "create", "--app", "shop", "extra"], /unexpected argument "extra"/],
    [["keys", "list", "--name", "x"], /--name only goes with keys create/],
    [["keys", "list", "--app", "UPPER"], /--app "UPPER" must be/],
    [["keys", "revoke"], /keys revoke needs the key ID/],
    [["keys", "revoke", "xyz"], /key ID "xyz" must be the 12-character key ID/],
    [["keys", "revoke", "0123456789ab", "--app", "shop"], /--app does not go with keys revoke/],
    [["keys", "list", "--table", "t"], /--table only goes with --aws/],
    [["keys", "list", "--aws"], /--aws needs --table/],
    [["keys", "create", "--app", "shop", "--aws", "--table", "t"], /needs --usage-plan/],
    [["keys", "list", "--aws", "--table", "t", "--usage-plan", "p"], /only goes with keys create/],
    [["keys", "list", "--aws", "--table", "t", "--url", "http://x"], /--url is for local mode/],
    [["keys", "list", "--url", "ftp://x"], /--url must start with http/],
    [["keys", "list", "--bogus"], /Unknown option '--bogus'/],
  ])("%j exits 2 with a clear message", async (argv, message) => {
    const { io, err } = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(err()).toMatch(message);
  });

  it.each([[["keys", "--help"]], [["keys", "create", "--help"]], [["help", "keys"]]])(
    "%j prints help and exits 0",
    async (argv) => {
      const { io, out } = fakeIo();
      expect(await runCli(argv, io)).toBe(0);
      expect(out()).toMatch(/Usage: churnwatch keys create --app APP/);
    },
  );

  it("turns arguments into typed options with local-mode defaults", () => {
    expect(parseKeysArgs({ app: "shop-1", json: true }, ["create"], { PORT: "4001" })).toEqual({
      action: "create",
      appId: "shop-1",
      name: "shop-1",
      json: true,
      target: { kind: "local", url: "http://127.0.0.1:4001", apiKey: "local-dev-key" },
    });
    expect(parseKeysArgs({}, ["list"], { CHURNWATCH_API_KEY: "admin" })).toMatchObject({
      action: "list",
      target: { apiKey: "admin" },
    });
    expect(
      parseKeysArgs(
        { aws: true, table: "t", "usage-plan": "p", region: "eu-west-1", app: "a" },
        ["create"],
        {},
      ),
    ).toMatchObject({
      target: { kind: "aws", table: "t", usagePlanId: "p", region: "eu-west-1" },
    });
  });

  it("prints the API Gateway half of onboarding and revocation as aws CLI commands", () => {
    const created = {
      key: "cw_abc",
      summary: {
        keyId: "0123456789ab",
        appId: "shop",
        name: "shop",
        status: "active" as const,
        createdAt: "2026-01-01T00:00:00.000Z",
      },
    };
    expect(apiGatewayCreateCommands(created, "plan123", "eu-west-1")).toEqual([
      "APIGW_KEY_ID=$(aws apigateway create-api-key --name churnwatch-shop-0123456789ab --value cw_abc --enabled --query id --output text --region eu-west-1)",
      'aws apigateway create-usage-plan-key --usage-plan-id plan123 --key-type API_KEY --key-id "$APIGW_KEY_ID" --region eu-west-1',
    ]);
    expect(apiGatewayRevokeCommands(created.summary)).toEqual([
      "APIGW_KEY_ID=$(aws apigateway get-api-keys --name-query churnwatch-shop-0123456789ab --query 'items[0].id' --output text)",
      'aws apigateway update-api-key --api-key "$APIGW_KEY_ID" --patch-operations op=replace,path=/enabled,value=false',
    ]);
  });
});

describe("churnwatch start throttling flags", () => {
  it("takes --rate/--burst, else the environment, else leaves the default to local mode", () => {
    expect(startCommand.parse({ rate: "5", burst: "7" }, [], {})).toMatchObject({
      throttle: { rate: 5, burst: 7 },
    });
    expect(startCommand.parse({ rate: "5" }, [], { CHURNWATCH_BURST_LIMIT: "9" })).toMatchObject({
      throttle: { rate: 5, burst: 9 },
    });
    expect(startCommand.parse({}, [], {})).not.toHaveProperty("throttle");
  });

  it.each([
    [["start", "--rate", "0"], /rate must be a number of requests per second above 0/],
    [["start", "--rate", "fast"], /--rate must be a number/],
    [["start", "--burst", "1.5"], /burst must be a whole number/],
  ])("%j exits 2", async (argv, message) => {
    const { io, err } = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(err()).toMatch(message);
  });

  it("exits 2 on a bad CHURNWATCH_RATE_LIMIT", async () => {
    const { io, err } = fakeIo({ CHURNWATCH_RATE_LIMIT: "-1" });
    expect(await runCli(["start"], io)).toBe(2);
    expect(err()).toMatch(/CHURNWATCH_RATE_LIMIT\/CHURNWATCH_BURST_LIMIT: rate must be/);
  });
});
