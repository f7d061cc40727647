/**
 * `churnwatch promotions`: its arguments (no server needed for usage errors), and the
 * `/_local/promotions` routes behind a small HTTP server with an in-memory store, driven by the
 * CLI itself, so an overlap refused by the server shows as exit code 2 with the reason.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Promotion } from "../../lambdas/domain/promotions.js";
import { PromotionConflictError, type PromotionStore } from "../../lambdas/model-ports.js";
import { parsePromotionsArgs, promotionsTable } from "../../local/cli/commands/promotions.js";
import type { CliIo } from "../../local/cli/io.js";
import { runCli } from "../../local/cli/run.js";
import {
  handlePromotionRoutes,
  type LocalPromotionBackend,
} from "../../local/http/promotions-routes.js";

function fakeIo(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env };
  return { io, out: () => out.join(""), err: () => err.join("") };
}

describe("churnwatch promotions arguments", () => {
  it.each([
    [["promotions"], /say what to do: add or list/],
    [["promotions", "remove"], /unknown action "remove" \(actions: add, list\)/],
    [["promotions", "add"], /promotions add needs --name NAME, --from YYYY-MM-DD, --to YYYY-MM-DD/],
    [["promotions", "add", "--name", "d11", "--from", "2026-11-09"], /needs --to YYYY-MM-DD$/m],
    [
      ["promotions", "add", "--name", "d11", "--from", "2026-11-31", "--to", "2026-12-01"],
      /--from: must be a calendar date YYYY-MM-DD/,
    ],
    [
      ["promotions", "add", "--name", "d11", "--from", "2026-11-09", "--to", "11/12/2026"],
      /--to: must be a calendar date YYYY-MM-DD/,
    ],
    [
      ["promotions", "add", "--name", " ", "--from", "2026-11-09", "--to", "2026-11-12"],
      /--name: must not be empty/,
    ],
    [
      ["promotions", "add", "--name", "d11", "--from", "2026-11-12", "--to", "2026-11-09"],
      /"d11" ends \(2026-11-09\) before it starts \(2026-11-12\)/,
    ],
    [["promotions", "list", "--name", "x"], /--name only goes with promotions add/],
    [["promotions", "list", "extra"], /unexpected argument "extra"/],
    [["promotions", "list", "--url", "ftp://x"], /--url must start with http/],
    [["promotions", "list", "--bogus"], /Unknown option '--bogus'/],
  ])("%j exits 2 with a clear message", async (argv, message) => {
    const { io, err } = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(err()).toMatch(message);
  });

  it.each([[["promotions", "--help"]], [["help", "promotions"]]])(
    "%j prints help and exits 0",
    async (argv) => {
      const { io, out } = fakeIo();
      expect(await runCli(argv, io)).toBe(0);
      expect(out()).toMatch(/Usage: churnwatch promotions add --name NAME --from YYYY-MM-DD/);
    },
  );

  it("turns arguments into typed options with local-mode defaults", () => {
    expect(
      parsePromotionsArgs(
        { name: "double-11", from: "2026-11-09", to: "2026-11-12", json: true },
        ["add"],
        { PORT: "4001" },
      ),
    ).toEqual({
      action: "add",
      promotion: { name: "double-11", from: "2026-11-09", to: "2026-11-12" },
      url: "http://127.0.0.1:4001",
      apiKey: "local-dev-key",
      json: true,
    });
    expect(parsePromotionsArgs({}, ["list"], { CHURNWATCH_API_KEY: "k" })).toMatchObject({
      action: "list",
      apiKey: "k",
      json: false,
    });
  });

  it("lists promotions as a table", () => {
    expect(
      promotionsTable([
        { name: "618", from: "2026-06-01", to: "2026-06-18", source: "configured" },
        { name: "d11", from: "2026-11-11", to: "2026-11-11", source: "stored" },
      ]),
    ).toBe(
      [
        "NAME  FROM        TO          DAYS  SOURCE",
        "618   2026-06-01  2026-06-18  18    configured",
        "d11   2026-11-11  2026-11-11  1     stored",
        "",
      ].join("\n"),
    );
    expect(promotionsTable([])).toBe("no promotions\n");
  });
});

class MemoryPromotionStore implements PromotionStore {
  readonly byApp = new Map<string, Promotion[]>();
  async list(appId: string): Promise<Promotion[]> {
    return [...(this.byApp.get(appId) ?? [])];
  }
  async add(appId: string, promotion: Promotion): Promise<void> {
    const list = this.byApp.get(appId) ?? [];
    if (list.some((p) => p.from === promotion.from && p.name === promotion.name)) {
      throw new PromotionConflictError("already stored");
    }
    // A slow store, so concurrent adds would interleave if the route did not serialize them.
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.byApp.set(appId, [...list, promotion]);
  }
}

describe("promotions against the /_local/promotions routes", () => {
  const store = new MemoryPromotionStore();
  const backend: LocalPromotionBackend = {
    appOf: async (key) => ({ "key-a": "shop-a", "key-b": "shop-b" })[key],
    store,
    configured: [{ name: "618", from: "2026-06-01", to: "2026-06-18" }],
  };
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      handlePromotionRoutes(backend, request, response, "x-api-key")
        .then((handled) => {
          if (!handled) response.writeHead(404).end();
        })
        .catch(() => response.writeHead(500).end());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function cli(args: string[], apiKey = "key-a") {
    const { io, out, err } = fakeIo();
    const code = await runCli(["promotions", ...args, "--url", url, "--api-key", apiKey], io);
    return { code, out: out(), err: err() };
  }

  it("adds a promotion for the key's app and lists it with the configured ones", async () => {
    const added = await cli([
      "add",
      "--name",
      "singles",
      "--from",
      "2026-11-10",
      "--to",
      "2026-11-11",
    ]);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toBe(
      'added promotion "singles" for app "shop-a": 2026-11-10..2026-11-11 (2 days)\n',
    );
    expect(await store.list("shop-a")).toEqual([
      { name: "singles", from: "2026-11-10", to: "2026-11-11" },
    ]);

    const listed = await cli(["list", "--json"]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out)).toEqual({
      appId: "shop-a",
      promotions: [
        { name: "618", from: "2026-06-01", to: "2026-06-18", source: "configured" },
        { name: "singles", from: "2026-11-10", to: "2026-11-11", source: "stored" },
      ],
    });
    // Another app's calendar is its own.
    expect(JSON.parse((await cli(["list", "--json"], "key-b")).out).promotions).toHaveLength(1);
  });

  it.each([
    [
      "a stored promotion",
      ["--name", "double-11", "--from", "2026-11-09", "--to", "2026-11-12"],
      'churnwatch promotions: "double-11" (2026-11-09..2026-11-12) overlaps "singles" (2026-11-10..2026-11-11)',
    ],
    [
      "a configured promotion",
      ["--name", "early-618", "--from", "2026-05-25", "--to", "2026-06-01"],
      'churnwatch promotions: "early-618" (2026-05-25..2026-06-01) overlaps "618" (2026-06-01..2026-06-18)',
    ],
    [
      "a name in use",
      ["--name", "618", "--from", "2027-06-01", "--to", "2027-06-18"],
      'churnwatch promotions: the name "618" is already used (2026-06-01..2026-06-18)',
    ],
  ])(
    "refuses a promotion that clashes with %s: exit 2 with the reason",
    async (_, flags, message) => {
      const refused = await cli(["add", ...flags]);
      expect(refused.code).toBe(2);
      expect(refused.err.trim()).toBe(message);
    },
  );

  it("lets only one of two overlapping adds racing each other in", async () => {
    const add = (name: string) =>
      fetch(`${url}/_local/promotions`, {
        method: "POST",
        headers: { "x-api-key": "key-b", "content-type": "application/json" },
        body: JSON.stringify({ name, from: "2026-12-01", to: "2026-12-03" }),
      }).then((response) => response.status);
    expect((await Promise.all([add("x"), add("y")])).sort()).toEqual([201, 400]);
  });

  it("answers 401 without a known key, 400 for a bad body, 405 for other methods", async () => {
    const denied = await cli(["list"], "nobody");
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/refused the API key/);

    const post = (body: string) =>
      fetch(`${url}/_local/promotions`, {
        method: "POST",
        headers: { "x-api-key": "key-a" },
        body,
      });
    const notJson = await post("{");
    expect(notJson.status).toBe(400);
    const badDay = await post(JSON.stringify({ name: "x", from: "2026-02-30", to: "2026-03-01" }));
    expect(badDay.status).toBe(400);
    expect(await badDay.json()).toEqual({
      message: "from: must be a calendar date YYYY-MM-DD",
      field: "from",
    });
    const extra = await post(
      JSON.stringify({ name: "x", from: "2026-03-01", to: "2026-03-01", y: 1 }),
    );
    expect(((await extra.json()) as { field: string }).field).toBe("y");

    const del = await fetch(`${url}/_local/promotions`, {
      method: "DELETE",
      headers: { "x-api-key": "key-a" },
    });
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toBe("GET, POST");
  });
});
