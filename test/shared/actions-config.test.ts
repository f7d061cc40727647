import { describe, expect, it } from "vitest";
import { DEFAULT_RETENTION_POLICY, decideAction } from "../../lambdas/domain/actions/policy.js";
import { actionsConfigFromEnv, withChannelOrder } from "../../lambdas/shared/actions-config.js";
import { ConfigError } from "../../lambdas/shared/config.js";

const mediumRisk = {
  valueTier: "standard",
  riskTier: "medium",
  lifecycleStage: "growth",
  topReason: null,
} as const;

describe("retention settings at cold start", () => {
  it("keeps the defaults when nothing is set", () => {
    const config = actionsConfigFromEnv({});
    expect(config.frequencyCap).toEqual({ maxMessages: 2, windowDays: 7 });
    expect(config.quietHours.byChannel.sms).toEqual({ start: "21:00", end: "09:00" });
    expect(decideAction(config.policy, mediumRisk)?.channels).toEqual(["email", "push", "sms"]);
  });

  it("orders the default policy's channels by CHANNEL_PREFERENCE and drops the others", () => {
    const config = actionsConfigFromEnv({ CHANNEL_PREFERENCE: "sms,email" });
    expect(decideAction(config.policy, mediumRisk)?.channels).toEqual(["sms", "email"]);
    const reordered = withChannelOrder(DEFAULT_RETENTION_POLICY, ["push"]);
    for (const rule of reordered.rules) expect(rule.channels.every((c) => c === "push")).toBe(true);
  });

  it.each([
    [
      "RETENTION_POLICY",
      '{"rules":[{"id":"r","channels":["email"],"template":"nope"}]}',
      /rules\[0\]\.template/,
    ],
    ["QUIET_HOURS", '{"timezone":"Nowhere/Land"}', /quietHours\.timezone/],
    ["FREQUENCY_CAP", '{"maxMessages":-1}', /maxMessages/],
    ["TEMPLATES", '{"x":1}', /templates\.x/],
    ["CHANNEL_PREFERENCE", "email,fax", /fax/],
  ])("refuses a bad %s at start, naming the variable and the place", (name, value, place) => {
    expect(() => actionsConfigFromEnv({ [name]: value })).toThrow(ConfigError);
    expect(() => actionsConfigFromEnv({ [name]: value })).toThrow(new RegExp(`^${name}: `));
    expect(() => actionsConfigFromEnv({ [name]: value })).toThrow(place);
  });
});
