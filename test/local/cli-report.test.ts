/**
 * `churnwatch report`: its arguments (no server needed for usage errors), and the text and JSON
 * output against a small HTTP server that answers `GET /v1/reports/winback` like the reports λ
 * does (same query parsing, same use case) over in-memory action records and profiles.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActionRecord, DeliveryRecord } from "../../lambdas/domain/actions/action-record.js";
import { DEFAULT_CURRENCY_TABLE } from "../../lambdas/domain/currency.js";
import type { BehaviourEvent } from "../../lambdas/domain/events.js";
import { applyEvents, type UserFeatures } from "../../lambdas/domain/features.js";
import { actionKey, DEFAULT_MESSAGE_COSTS } from "../../lambdas/domain/winback.js";
import { parseWinbackQuery } from "../../lambdas/domain/winback-config.js";
import { type WinbackReportResult, winbackReport } from "../../lambdas/use-cases/winback-report.js";
import type { ActionRecordReader, ProfileReader } from "../../lambdas/winback-ports.js";
import type { CliIo } from "../../local/cli/io.js";
import { runCli } from "../../local/cli/run.js";

function fakeIo(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env };
  return { io, out: () => out.join(""), err: () => err.join("") };
}

describe("churnwatch report arguments", () => {
  it.each([
    [
      ["report", "--window-days", "0"],
      /--window-days: must be a whole number of days from 1 to 365/,
    ],
    [["report", "--window-days", "two"], /--window-days: must be a whole number/],
    [["report", "--winback", "clicks"], /--winback: must be purchase or activity, got "clicks"/],
    [["report", "--from", "2026-02-30"], /--from: must be a date YYYY-MM-DD/],
    [["report", "--from", "2026-11-02", "--to", "2026-11-01"], /--to: must not be before from/],
    [["report", "--experiment", "a b"], /--experiment: must be an experiment ID/],
    [["report", "extra"], /unexpected argument "extra"/],
    [["report", "--bogus"], /Unknown option '--bogus'/],
    [["report", "--url", "ftp://x"], /--url must start with http/],
  ])("%j exits 2 with a clear message", async (argv, message) => {
    const { io, err } = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(err()).toMatch(message);
  });

  it.each([[["report", "--help"]], [["help", "report"]]])(
    "%j prints help and exits 0",
    async (argv) => {
      const { io, out } = fakeIo();
      expect(await runCli(argv, io)).toBe(0);
      expect(out()).toMatch(/Usage: churnwatch report \[--experiment ID\]/);
    },
  );

  it("is listed in the main help", async () => {
    const { io, out } = fakeIo();
    expect(await runCli(["--help"], io)).toBe(0);
    expect(out()).toMatch(/report\s+win-back per experiment and arm/);
  });
});

function action(userId: string, overrides: Partial<ActionRecord> = {}): ActionRecord {
  return {
    appId: "shop",
    userId,
    warningId: `w-${userId}`,
    runId: "run-1",
    asOf: "2026-10-01T00:00:00.000Z",
    plannedAt: "2026-10-01T00:05:00.000Z",
    tier: "high",
    score: 0.8,
    valueTier: "high",
    lifecycleStage: "active",
    topReason: null,
    ruleId: "r1",
    campaign: "c1",
    experimentId: "exp-1",
    group: "variant",
    variant: "coupon",
    template: "coupon_offer",
    offer: { amount: 15, currency: "CNY" },
    channel: "sms",
    outcome: "published",
    reason: null,
    escalated: false,
    ...overrides,
  } as ActionRecord;
}

function user(userId: string, buysOn?: string): UserFeatures {
  const events = [
    {
      event: {
        eventId: `${userId}-0`,
        userId,
        type: "app_open",
        occurredAt: "2026-09-01T00:00:00Z",
      } as BehaviourEvent,
    },
    ...(buysOn
      ? [
          {
            event: {
              eventId: `${userId}-1`,
              userId,
              type: "purchase",
              occurredAt: `${buysOn}T10:00:00Z`,
              properties: { orderId: `${userId}-o`, amount: 120, currency: "CNY" },
            } as BehaviourEvent,
            baseAmountMinor: 12_000,
          },
        ]
      : []),
  ];
  return applyEvents(undefined, "shop", userId, events);
}

const variantUsers = Array.from({ length: 40 }, (_, i) => `v${i}`);
const controlUsers = Array.from({ length: 40 }, (_, i) => `c${i}`);
const records: ActionRecord[] = [
  ...variantUsers.map((id) => action(id)),
  ...controlUsers.map((id) =>
    action(id, { group: "control", variant: null, outcome: "control", channel: null, offer: null }),
  ),
];
const profiles = new Map<string, UserFeatures>([
  ...variantUsers.map((id, i) => [id, user(id, i < 16 ? "2026-10-10" : undefined)] as const),
  ...controlUsers.map((id, i) => [id, user(id, i < 6 ? "2026-10-12" : undefined)] as const),
]);
const actions: ActionRecordReader = {
  async *actionsOf() {
    yield records;
  },
  async deliveriesOf(refs) {
    return new Map(
      refs.map((ref) => [
        actionKey(ref.userId, ref.warningId),
        [
          {
            appId: "shop",
            userId: ref.userId,
            dedupeKey: `${ref.warningId}|sms|step1`,
            warningId: ref.warningId,
            channel: "sms",
            status: "sent",
            completedAt: "2026-10-01T00:06:00.000Z",
            reason: null,
            deferredUntil: null,
          } satisfies DeliveryRecord,
        ],
      ]),
    );
  },
};
const profileReader: ProfileReader = {
  async profilesOf(_appId, userIds) {
    return new Map(
      userIds.flatMap((id) => {
        const profile = profiles.get(id);
        return profile ? [[id, profile] as const] : [];
      }),
    );
  },
};

describe("churnwatch report against a server", () => {
  let server: Server;
  let url: string;
  const paths: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(body));
      };
      const target = new URL(request.url ?? "/", "http://localhost");
      paths.push(`${target.pathname}${target.search}`);
      if (request.headers["x-api-key"] !== "local-dev-key") return send(401, { message: "no" });
      if (target.pathname !== "/v1/reports/winback") return send(404, { message: "Not Found" });
      const query = parseWinbackQuery(Object.fromEntries(target.searchParams));
      if (!query.ok)
        return send(400, { message: "invalid query parameters", errors: query.errors });
      winbackReport("shop", query.value, {
        actions,
        profiles: profileReader,
        messageCosts: DEFAULT_MESSAGE_COSTS,
        currency: DEFAULT_CURRENCY_TABLE,
        now: () => new Date("2027-01-01T00:00:00Z"),
      }).then(
        (report) => send(200, report),
        (error: Error) => send(500, { message: error.message }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("prints the arms, uplift with its interval and p-value, revenue and costs", async () => {
    const { io, out } = fakeIo();
    expect(
      await runCli(["report", "--url", url, "--experiment", "exp-1", "--window-days", "14"], io),
    ).toBe(0);
    expect(paths.at(-1)).toBe("/v1/reports/winback?experiment=exp-1&windowDays=14");
    const text = out();
    expect(text).toContain("win-back: a purchase within 14 days of the action");
    expect(text).toContain("experiment exp-1");
    expect(text).toMatch(/control\s+40\s+0\s+0\s+–\s+–\s+6\s+15\.0%\s+720\.00\s+0\.00\s+0\.00/);
    // 16/40 vs 6/40: +25.0 pp; costs 40 SMS × 0.05 + 16 coupons × 15 = 242.
    expect(text).toMatch(
      /coupon\s+40\s+40\s+40\s+–\s+–\s+16\s+40\.0%\s+\+25\.0 pp \[\+5\.\d, \+42\.\d\]\s+0\.0\d\d\s+1920\.00\s+242\.00\s+15\.13/,
    );
    expect(text).toContain(
      "coupon: incremental won back 10.0, cost per incremental win-back 24.20 CNY (z-test)",
    );
  });

  it("prints the report as JSON with --json", async () => {
    const { io, out } = fakeIo();
    expect(await runCli(["report", "--url", url, "--json", "--winback", "activity"], io)).toBe(0);
    const report = JSON.parse(out()) as WinbackReportResult;
    expect(report.winback).toBe("activity");
    expect(report.experiments[0]?.variants[0]).toMatchObject({
      arm: "coupon",
      targeted: 40,
      // Everyone opened the app before asOf only; the buyers are the active ones.
      wonBack: 16,
      uplift: { test: "z-test" },
    });
  });

  it("exits 1 with the server's answer when the request fails, and when nothing listens", async () => {
    const refused = fakeIo();
    expect(await runCli(["report", "--url", url, "--api-key", "wrong"], refused.io)).toBe(1);
    expect(refused.err()).toMatch(/refused the API key/);
    const nobody = fakeIo();
    expect(await runCli(["report", "--url", "http://127.0.0.1:9"], nobody.io)).toBe(1);
    expect(nobody.err()).toMatch(/no churnwatch server at http:\/\/127\.0\.0\.1:9/);
  });
});
