import { RemovalPolicy } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import {
  ConfigError as LambdaConfigError,
  promotionsFromEnv,
  scoringOptionsFromEnv,
} from "../../lambdas/shared/config.js";
import { ENV } from "../../lambdas/shared/env-names.js";
import { ConfigError, loadConfig } from "../../lib/config.js";
import { buildApp, lambdaIds, props, synthesize } from "./synth.js";

const from = (context: Record<string, unknown>) => loadConfig((key) => context[key]);

describe("stage configuration", () => {
  it("defaults to dev with the documented values", () => {
    const c = from({});
    expect(c).toMatchObject({
      stage: "dev",
      emailFrom: "no-reply@example.com",
      scoringSegments: 4,
      dedupeTtlDays: 400,
      channelPreference: ["email", "push", "sms"],
      apiThrottleRateLimit: 100,
      apiThrottleBurstLimit: 200,
      logRetention: 14,
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
      reserveSenderConcurrency: true,
    });
    expect(c.marketingEmail).toBeUndefined();
    expect(c.alarmEmail).toBeUndefined();
  });

  it("keeps prod data and accepts values passed as strings with -c", () => {
    const c = from({ stage: "prod", scoringSegments: "16", channelPreference: "push, email" });
    expect(c.removalPolicy).toBe(RemovalPolicy.RETAIN);
    expect(c.deletionProtection).toBe(true);
    expect(c.scoringSegments).toBe(16);
    expect(c.channelPreference).toEqual(["push", "email"]);
  });

  it.each([
    ["stage", "qa"],
    ["scoringSegments", 0],
    ["scoringSegments", "0"],
    ["scoringSegments", "four"],
    ["scoringSegments", 2.5],
    ["rulesConfig", '{"thresholds":{"noLoginDays":0}}'],
    ["rulesConfig", '{"rules":{"teleport":{"enabled":true}}}'],
    ["dedupeTtlDays", "1e3"],
    ["channelPreference", "email,fax"],
    ["channelPreference", "email,email"],
    ["channelPreference", ""],
    ["marketingEmail", "not-an-address"],
    ["alarmEmail", "ops@"],
    ["emailFrom", "nobody"],
    ["apiThrottleRateLimit", 0],
    ["reserveSenderConcurrency", "no"],
    ["currencyTable", '{"base":"CNY","rates":{"USD":-1,"CNY":1}}'],
    ["currencyTable", "not json"],
    ["eventHorizon", "last year"],
    ["highValueThreshold", 0],
    ["apiThrottleBurstLimit", 50],
    ["logRetentionDays", 10],
    ["logLevel", "TRACE"],
    ["promotions", "not json"],
    ["promotions", '{"name":"618"}'],
    ["promotions", [{ name: "618", from: "2026-06-01", to: "2026-06-31" }]],
    ["promotionDampingDays", -1],
    ["promotionDampingDays", "a week"],
    ["promotionDampingDays", 91],
    ["retentionPolicy", "{not json"],
    ["retentionPolicy", { rules: [{ id: "r", channels: ["fax"], template: "we_miss_you" }] }],
    ["templates", { we_miss_you: { en: { sms: "Hi {nmae}" } } }],
    ["quietHours", { default: { start: "25:00", end: "09:00" } }],
    ["quietHours", { timezone: "Mars/Olympus_Mons" }],
    ["frequencyCap", { maxMessages: 0 }],
    ["messageCosts", { sms: -1 }],
  ])("refuses %s=%j with an error naming the key", (key, value) => {
    expect(() => from({ [key]: value })).toThrow(ConfigError);
    expect(() => from({ [key]: value })).toThrow(new RegExp(`"${key}"`));
  });

  it("fails building the app on a bad context value, before any resource exists", () => {
    expect(() => buildApp({ scoringSegments: 0 })).toThrow(/"scoringSegments".*at least 1/);
    expect(() => buildApp({ stage: "qa" })).toThrow(/"stage".*dev, prod/);
  });
});

describe("retention settings", () => {
  it("refuses a policy naming a template that does not exist, with the exact place", () => {
    const policy = {
      rules: [{ id: "welcome", channels: ["email"], template: "welcome_back" }],
    };
    expect(() => from({ retentionPolicy: policy })).toThrow(
      /"retentionPolicy".*policy\.rules\[0\]\.template.*welcome_back/,
    );
  });

  it("accepts a policy using a custom template, and passes both to plan and senders as JSON", () => {
    const templates = {
      welcome_back: {
        en: {
          email: { subject: "Welcome back", text: "{greeting} {reason}" },
          sms: "{reason} Reply STOP to opt out",
          push: { title: "Welcome back", body: "See what is new" },
        },
        "zh-CN": {
          email: { subject: "欢迎回来", text: "{greeting}{reason}" },
          sms: "{reason}回复TD退订",
          push: { title: "欢迎回来", body: "看看新内容" },
        },
      },
    };
    const policy = { rules: [{ id: "welcome", channels: ["email"], template: "welcome_back" }] };
    const c = from({ templates, retentionPolicy: JSON.stringify(policy) });
    expect(JSON.parse(c.templates ?? "null")).toEqual(templates);
    expect(JSON.parse(c.retentionPolicy ?? "null")).toEqual(policy);
  });
});

describe("promotion calendar", () => {
  const d11 = { name: "double-11", from: "2026-11-09", to: "2026-11-12" };
  const singles = { name: "singles", from: "2026-11-10", to: "2026-11-11" };
  const p618 = { name: "618", from: "2026-06-01", to: "2026-06-18" };

  it("has none by default, and damps for 7 days", () => {
    const c = from({});
    expect(c.promotions).toBeUndefined();
    expect(c.promotionDampingDays).toBe(7);
  });

  it("takes an array from cdk.json or its JSON text from -c, sorted and normalized", () => {
    const expected = JSON.stringify([p618, d11]);
    expect(from({ promotions: [d11, p618] }).promotions).toBe(expected);
    expect(from({ promotions: JSON.stringify([d11, p618]) }).promotions).toBe(expected);
    expect(from({ promotions: "[]" }).promotions).toBeUndefined();
    expect(from({ promotionDampingDays: "0" }).promotionDampingDays).toBe(0);
  });

  it("refuses an overlap at synth, naming the key, the entry and both promotions", () => {
    expect(() => from({ promotions: [p618, singles, d11] })).toThrow(
      'Invalid CDK context value for "promotions"',
    );
    expect(() => from({ promotions: [p618, singles, d11] })).toThrow(
      'promotions[2]: "double-11" (2026-11-09..2026-11-12) overlaps "singles" (2026-11-10..2026-11-11)',
    );
  });

  it("passes the calendar to score and features", () => {
    const s = synthesize({ promotions: [d11], promotionDampingDays: 5 });
    const ids = lambdaIds(s.resources);
    const env = (name: "score" | "features" | "ingest") =>
      (props(s.resources[ids[name]]).Environment as { Variables: Record<string, unknown> })
        .Variables;
    for (const name of ["score", "features"] as const) {
      expect(env(name)[ENV.promotions], name).toBe(JSON.stringify([d11]));
      expect(env(name)[ENV.promotionDampingDays], name).toBe("5");
    }
    expect(env("ingest")[ENV.promotions]).toBeUndefined();
  });

  it("reads the calendar at cold start", () => {
    expect(promotionsFromEnv({})).toEqual({ promotions: [], dampingDays: 7 });
    expect(
      promotionsFromEnv({
        [ENV.promotions]: JSON.stringify([d11, p618]),
        [ENV.promotionDampingDays]: "3",
      }),
    ).toEqual({ promotions: [p618, d11], dampingDays: 3 });
    const options = scoringOptionsFromEnv({ [ENV.promotions]: JSON.stringify([d11]) });
    expect(options.indicators).toMatchObject({ promotions: [d11], promotionDampingDays: 7 });
  });

  it.each<[Record<string, string>, string]>([
    [{ [ENV.promotions]: "[" }, "PROMOTIONS must be a JSON array of {name, from, to}"],
    [
      { [ENV.promotions]: JSON.stringify([d11, singles]) },
      'PROMOTIONS[1]: "singles" (2026-11-10..2026-11-11) overlaps "double-11"',
    ],
    [
      { [ENV.promotions]: JSON.stringify([{ ...p618, to: "June" }]) },
      "PROMOTIONS[0].to: must be a calendar date YYYY-MM-DD",
    ],
    [
      { [ENV.promotionDampingDays]: "-2" },
      "PROMOTION_DAMPING_DAYS must be an integer from 0 to 90",
    ],
  ])("refuses %j at cold start naming the variable", (env, message) => {
    expect(() => promotionsFromEnv(env)).toThrow(LambdaConfigError);
    expect(() => promotionsFromEnv(env)).toThrow(message);
    expect(() => scoringOptionsFromEnv(env)).toThrow(message);
  });
});
