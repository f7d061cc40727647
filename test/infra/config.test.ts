import { RemovalPolicy } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../lib/config.js";
import { buildApp } from "./synth.js";

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
  ])("refuses %s=%j with an error naming the key", (key, value) => {
    expect(() => from({ [key]: value })).toThrow(ConfigError);
    expect(() => from({ [key]: value })).toThrow(new RegExp(`"${key}"`));
  });

  it("fails building the app on a bad context value, before any resource exists", () => {
    expect(() => buildApp({ scoringSegments: 0 })).toThrow(/"scoringSegments".*at least 1/);
    expect(() => buildApp({ stage: "qa" })).toThrow(/"stage".*dev, prod/);
  });
});
