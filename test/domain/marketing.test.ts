import { describe, expect, it } from "vitest";
import { applyEvents } from "../../lambdas/domain/features.js";
import {
  type AlertJson,
  alertFor,
  type DigestJson,
  type DigestRun,
  digestFor,
  type HighValueAtRisk,
  highValueAtRiskFor,
  isAlertWorthy,
  isHighValueAtRisk,
  mergeTopHighValue,
  publishBytes,
  SNS_MAX_ATTRIBUTES,
  SNS_MAX_BYTES,
  SNS_SUBJECT_MAX,
  snsMessageOf,
  withinSnsLimits,
} from "../../lambdas/domain/marketing.js";
import { appOpen, purchase } from "../fixtures/events.js";

const user = (
  userId: string,
  tier: HighValueAtRisk["tier"],
  score: number,
  valueMinor: number,
  appId = "shop",
): HighValueAtRisk => ({
  appId,
  userId,
  valueMinor,
  currency: "CNY",
  tier,
  score,
  lifecycleStage: "mature",
  reasons: [
    { code: "long_term_inactive", severity: "high", params: { days: 120, thresholdDays: 90 } },
    { code: "no_app_open", severity: "medium", params: { days: 120, thresholdDays: 7 } },
  ],
});

const run: DigestRun = {
  runId: "scoring@2026-12-25T00:00:00.000Z",
  asOf: "2026-12-25T00:00:00.000Z",
  totals: {
    scored: 12_345,
    atRisk: 321,
    warned: 40,
    byTier: { low: 12_024, medium: 250, high: 60, critical: 11 },
    byReason: { no_app_open: 200, long_term_inactive: 90, uninstall_silence: 11, no_login: 0 },
    highValueAtRisk: 27,
  },
};

const many = Array.from({ length: 27 }, (_, i) =>
  user(
    `u-${String(i).padStart(2, "0")}`,
    i % 3 === 0 ? "critical" : "high",
    0.7 + (i % 5) / 100,
    600_000 + i * 1000,
  ),
);

describe("mergeTopHighValue", () => {
  it("orders by tier, then score, then value, and keeps n", () => {
    const top = mergeTopHighValue(
      [user("a", "high", 0.8, 900_000), user("b", "critical", 0.9, 600_000)],
      [user("c", "high", 0.8, 1_000_000), user("d", "high", 0.95, 500_000)],
      3,
    );
    expect(top.map((u) => u.userId)).toEqual(["b", "d", "c"]);
  });

  it("is deterministic whatever the input order, and lists each user once", () => {
    const tied = [user("x", "high", 0.8, 700_000, "b"), user("x", "high", 0.8, 700_000, "a")];
    const dup = [user("y", "high", 0.75, 700_000), user("y", "critical", 0.9, 700_000)];
    const forward = mergeTopHighValue([...tied, ...dup], []);
    const backward = mergeTopHighValue([], [...dup].reverse().concat([...tied].reverse()));
    expect(forward).toEqual(backward);
    expect(forward.map((u) => `${u.appId}/${u.userId}/${u.tier}`)).toEqual([
      "shop/y/critical",
      "a/x/high",
      "b/x/high",
    ]);
  });

  it("keeps at most 20 by default", () => {
    expect(mergeTopHighValue(many, many)).toHaveLength(20);
  });
});

describe("isHighValueAtRisk and isAlertWorthy", () => {
  it("lists high-value users at high or critical, alerts only on critical", () => {
    expect(isHighValueAtRisk("high", "high")).toBe(true);
    expect(isHighValueAtRisk("critical", "high")).toBe(true);
    expect(isHighValueAtRisk("medium", "high")).toBe(false);
    expect(isHighValueAtRisk("critical", "standard")).toBe(false);
    expect(isAlertWorthy("critical", "high")).toBe(true);
    expect(isAlertWorthy("high", "high")).toBe(false);
    expect(isAlertWorthy("critical", "standard")).toBe(false);
    expect(isAlertWorthy("critical", undefined)).toBe(false);
  });
});

describe("highValueAtRiskFor", () => {
  it("takes the value of the last 365 days as of the scoring moment", () => {
    const features = applyEvents(undefined, "shop", "u-9", [
      appOpen("u-9", "2026-08-01T09:00:00Z"),
      purchase("u-9", "2026-08-01T09:05:00Z", 400_000),
      purchase("u-9", "2026-08-02T09:05:00Z", 250_050),
      purchase("u-9", "2027-01-02T09:05:00Z", 999_999), // after the as-of moment
    ]);
    const entry = highValueAtRiskFor(
      { ...features, email: "ann@example.com" } as typeof features,
      { tier: "high", score: 0.85, reasons: [], asOf: "2026-12-25T00:00:00.000Z" },
      "CNY",
    );
    expect(entry).toEqual({
      appId: "shop",
      userId: "u-9",
      valueMinor: 650_050,
      currency: "CNY",
      tier: "high",
      score: 0.85,
      reasons: [],
      lifecycleStage: expect.any(String),
    });
  });
});

describe("digestFor", () => {
  it("says in English what the run found: tiers, reasons in plain words, the top 20", () => {
    const digest = digestFor(run, many, "en");
    expect(digest.kind).toBe("digest");
    expect(digest.subject).toBe(
      "churnwatch digest 2026-12-25: 11 critical, 60 high, 27 high-value at risk",
    );
    expect(digest.body).toContain("Users scored: 12,345 · at risk (medium or above): 321");
    expect(digest.body).toMatch(/critical\s+11\n\s+high\s+60\n\s+medium\s+250\n\s+low\s+12,024/);
    expect(digest.body).toContain("1. no app open for a while [no_app_open]: 200");
    expect(digest.body).toContain("2. away for a long time [long_term_inactive]: 90");
    expect(digest.body).toContain("uninstalled the app, silent since [uninstall_silence]: 11");
    expect(digest.body).not.toContain("[no_login]");
    expect(digest.body).toContain(
      "High-value users at high or critical risk: 27 (the 20 most urgent below)",
    );
    const rows = digest.body.split("\n").filter((line) => /^\s+\d+\s+\|/.test(line));
    expect(rows).toHaveLength(20);
    expect(rows[0]).toMatch(/u-24 \| shop\s+\| CNY 6,240.00 \| critical \| 0.74/);
    expect(rows[0]).toContain("long_term_inactive, no_app_open");
    const json = digest.json as DigestJson;
    expect(json.topHighValue.map((u) => u.userId)).toEqual(
      mergeTopHighValue(many, []).map((u) => u.userId),
    );
    expect(json.topHighValue[0]?.reasons[0]?.text).toBe("away for 120 days");
    expect(json.totals).toEqual({
      scored: 12_345,
      atRisk: 321,
      warned: 40,
      byTier: { low: 12_024, medium: 250, high: 60, critical: 11 },
      highValueAtRisk: 27,
    });
    expect(json.topReasons[0]).toEqual({
      code: "no_app_open",
      users: 200,
      text: "no app open for a while",
    });
  });

  it("reads in Chinese, with an ASCII subject SNS accepts", () => {
    const digest = digestFor(run, many.slice(0, 3), "zh-CN");
    expect(digest.body).toContain("流失预警汇总");
    expect(digest.body).toContain("已评分用户：12,345");
    expect(digest.body).toContain("较长时间未打开App [no_app_open]: 200");
    expect(digest.body).toContain("严重");
    expect(digest.body).toContain("成熟期客户");
    expect((digest.json as DigestJson).topHighValue[0]?.reasons[0]?.text).toBe("已120天未来访");
    expect(digest.subject).toMatch(/^[\x20-\x7E]+$/);
    expect(digest.subject.length).toBeLessThanOrEqual(SNS_SUBJECT_MAX);
  });

  it("carries counts and a compact top list as at most 10 SNS attributes", () => {
    const digest = digestFor(run, many);
    expect(Object.keys(digest.attributes).length).toBeLessThanOrEqual(SNS_MAX_ATTRIBUTES);
    expect(digest.attributes).toMatchObject({
      kind: "digest",
      runId: run.runId,
      asOf: run.asOf,
      scored: 12_345,
      atRisk: 321,
      medium: 250,
      high: 60,
      critical: 11,
      highValueAtRisk: 27,
    });
    const topUsers = JSON.parse(String(digest.attributes.topUsers)) as { userId: string }[];
    expect(topUsers).toHaveLength(20);
    expect(topUsers[0]).toEqual({
      appId: "shop",
      userId: "u-24",
      valueMinor: 624_000,
      currency: "CNY",
      tier: "critical",
      score: 0.74,
      reasons: ["long_term_inactive", "no_app_open"],
    });
    expect((digest.json as DigestJson).attributes).toEqual(digest.attributes);
    expect(withinSnsLimits(digest)).toBe(true);
  });

  it("leaves the top list out of the attributes when it would not fit SNS's size limit", () => {
    const bulky = many.map((u) => ({
      ...u,
      reasons: u.reasons.map((reason) => ({
        ...reason,
        params: Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`param${i}`, i])),
      })),
    }));
    const digest = digestFor(run, bulky);
    expect(digest.attributes.topUsers).toBeUndefined();
    expect((digest.json as DigestJson).topHighValue).toHaveLength(20);
    expect(publishBytes(digest)).toBeLessThanOrEqual(SNS_MAX_BYTES);
  });

  it("says so when nobody is at risk", () => {
    const quiet: DigestRun = {
      ...run,
      totals: {
        scored: 5,
        atRisk: 0,
        warned: 0,
        byTier: { low: 5, medium: 0, high: 0, critical: 0 },
        byReason: {},
      },
    };
    const digest = digestFor(quiet, []);
    expect(digest.body).toContain("High-value users at high or critical risk: none");
    expect(digest.attributes.topUsers).toBeUndefined();
    expect(digest.attributes.highValueAtRisk).toBe(0);
  });

  it("sends the text to e-mail and the JSON to everyone else", () => {
    const digest = digestFor(run, many);
    const message = JSON.parse(snsMessageOf(digest)) as { default: string; email: string };
    expect(message.email).toBe(digest.body);
    expect(JSON.parse(message.default)).toEqual(digest.json);
  });
});

describe("alertFor", () => {
  const subject = {
    ...user("u-77", "critical", 0.93, 1_234_567),
    reasons: [
      {
        code: "uninstall_silence" as const,
        severity: "critical" as const,
        params: { hoursSinceSignal: 30 },
      },
    ],
    warningId: "scoring@2026-12-25|shop|u-77|critical",
    runId: "scoring@2026-12-25",
    asOf: "2026-12-25T00:00:00.000Z",
  };

  it("gives the user's summary and reasons, in English and Chinese", () => {
    const en = alertFor(subject);
    expect(en.subject).toBe("churnwatch alert: high-value user critical - shop/u-77");
    expect(en.body).toContain("A high-value user has entered critical churn risk.");
    expect(en.body).toContain("User: u-77 (pseudonymous ID) in app shop");
    expect(en.body).toContain("Value: CNY 12,345.67 in the last 365 days");
    expect(en.body).toContain("Risk: critical, score 0.93");
    expect(en.body).toContain(
      "  - uninstalled the app, silent for 30 hours since [uninstall_silence]",
    );
    const zh = alertFor(subject, "zh-CN");
    expect(zh.body).toContain("已卸载App，此后30小时无活动 [uninstall_silence]");
    expect(zh.body).toContain("近365天 CNY 12,345.67");
    expect(zh.subject).toBe(en.subject);
    const json = en.json as AlertJson;
    expect(json).toMatchObject({
      kind: "alert",
      warningId: subject.warningId,
      appId: "shop",
      userId: "u-77",
      valueMinor: 1_234_567,
      tier: "critical",
    });
  });

  it("fits SNS: ASCII subject under 100 characters, at most 10 attributes", () => {
    const long = alertFor({ ...subject, userId: "x".repeat(128), appId: "店铺" });
    expect(long.subject.length).toBeLessThanOrEqual(SNS_SUBJECT_MAX);
    expect(long.subject).toMatch(/^[\x20-\x7E]+\.\.\.$/);
    expect(Object.keys(long.attributes)).toEqual([
      "kind",
      "appId",
      "userId",
      "warningId",
      "runId",
      "asOf",
      "tier",
      "score",
      "valueMinor",
      "currency",
    ]);
    expect(withinSnsLimits(long)).toBe(true);
  });

  it("never carries personal data beyond the pseudonymous user ID", () => {
    const leaky = {
      ...subject,
      email: "ann@example.com",
      phone: "+8613800000000",
      name: "Ann Example",
      firstName: "Ann",
      address: "1 Example Road",
    };
    for (const notification of [
      alertFor(leaky),
      digestFor(run, [leaky]),
      digestFor(run, [leaky], "zh-CN"),
    ]) {
      const everything = JSON.stringify(notification) + snsMessageOf(notification);
      for (const secret of ["ann@example.com", "+8613800000000", "Ann", "Example Road"]) {
        expect(everything).not.toContain(secret);
      }
      expect(everything).toContain("u-77");
    }
  });
});
