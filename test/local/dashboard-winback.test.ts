import { describe, expect, it } from "vitest";
import type { ActionRecord } from "../../lambdas/domain/actions/action-record.js";
import { DEFAULT_CURRENCY_TABLE } from "../../lambdas/domain/currency.js";
import { buildWinbackReport, DEFAULT_MESSAGE_COSTS } from "../../lambdas/domain/winback.js";
import { type DashboardInput, renderDashboard } from "../../local/http/dashboard.js";

const base: DashboardInput = {
  stats: {
    users: 0,
    usersAtRisk: 0,
    events: 0,
    outbox: { total: 0, byChannel: {}, marketing: 0 },
    queues: {},
  },
  recentOutbox: [],
  nextFirings: {},
  generatedAt: new Date("2026-11-01T00:00:00Z"),
};

const action = (userId: string, overrides: Partial<ActionRecord>): ActionRecord =>
  ({
    appId: "shop",
    userId,
    warningId: `w-${userId}`,
    runId: "r",
    asOf: "2026-10-01T00:00:00.000Z",
    plannedAt: "2026-10-01T00:00:00.000Z",
    experimentId: "<exp>",
    group: "variant",
    variant: "<b>bold</b>",
    offer: null,
    channel: "push",
    outcome: "published",
    ...overrides,
  }) as ActionRecord;

describe("dashboard win-back section", () => {
  it("is left out until local mode passes a report", () => {
    expect(renderDashboard(base)).not.toContain("Win-back");
  });

  it("shows each experiment's arms, escaping names from the data", () => {
    const report = buildWinbackReport(
      {
        actions: [
          action("a", {}),
          action("b", { group: "control", variant: null, outcome: "control", channel: null }),
        ],
        deliveries: new Map(),
        profiles: new Map(),
      },
      {
        windowDays: 14,
        winback: "activity",
        messageCosts: DEFAULT_MESSAGE_COSTS,
        currency: DEFAULT_CURRENCY_TABLE,
        now: new Date("2026-11-01T00:00:00Z"),
      },
    );
    const html = renderDashboard({ ...base, winback: report });
    expect(html).toContain("<h2>Win-back — activity within 14 days</h2>");
    expect(html).toContain("<h3>Experiment &lt;exp&gt;</h3>");
    expect(html).toContain("<td>&lt;b&gt;bold&lt;/b&gt;</td>");
    expect(html).not.toContain("<b>bold</b>");
    expect(html).toMatch(/<td>control<\/td><td>1<\/td><td>0<\/td><td>0<\/td><td>–<\/td>/);
    expect(html).toContain("2 user(s) have no profile and count as not won back");
  });

  it("says so when there is nothing yet, or the report failed", () => {
    const empty = buildWinbackReport(
      { actions: [], deliveries: new Map(), profiles: new Map() },
      {
        windowDays: 30,
        winback: "purchase",
        messageCosts: DEFAULT_MESSAGE_COSTS,
        currency: DEFAULT_CURRENCY_TABLE,
        now: new Date(),
      },
    );
    expect(renderDashboard({ ...base, winback: empty })).toContain("No actions recorded yet.");
    expect(renderDashboard({ ...base, winback: { error: "ledger <down>" } })).toContain(
      "could not be made: ledger &lt;down&gt;",
    );
  });
});

describe("dashboard marketing section", () => {
  it("lists digests and alerts newest first, escaping their subjects", () => {
    const html = renderDashboard({
      ...base,
      recentMarketing: [
        { at: "2026-11-02T02:00:00Z", kind: "alert", subject: "High-value user <vip> critical" },
        { at: "2026-11-01T02:00:00Z", kind: "digest", subject: "churnwatch digest 2026-11-01" },
      ],
    });
    expect(html).toContain("Marketing notifications — latest 2");
    expect(html).toContain("High-value user &lt;vip&gt; critical");
    expect(html.indexOf("alert")).toBeLessThan(html.indexOf("churnwatch digest"));
  });

  it("says when nothing was sent yet", () => {
    expect(renderDashboard({ ...base, recentMarketing: [] })).toContain("No digest or alert yet.");
  });
});
