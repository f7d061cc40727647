import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  SnsMarketingNotifier,
  snsAttributesOf,
} from "../../lambdas/adapters/sns-marketing-notifier.js";
import { alertFor, digestFor, type HighValueAtRisk } from "../../lambdas/domain/marketing.js";

const snsMock = mockClient(SNSClient);
const topicArn = "arn:aws:sns:eu-central-1:123456789012:churnwatch-marketing";

const user: HighValueAtRisk = {
  appId: "shop",
  userId: "u-1",
  valueMinor: 720_000,
  currency: "CNY",
  tier: "critical",
  score: 0.93,
  lifecycleStage: "mature",
  reasons: [{ code: "uninstall_silence", severity: "critical", params: { hoursSinceSignal: 5 } }],
};

const digest = digestFor(
  {
    runId: "scoring@2026-12-25T00:00:00.000Z",
    asOf: "2026-12-25T00:00:00.000Z",
    totals: {
      scored: 10,
      atRisk: 2,
      warned: 1,
      byTier: { low: 8, medium: 1, high: 0, critical: 1 },
      byReason: { uninstall_silence: 1, no_app_open: 1 },
      highValueAtRisk: 1,
    },
  },
  [user],
  "zh-CN",
);

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: "m-1" });
});

describe("SnsMarketingNotifier", () => {
  it("publishes the text to e-mail and the JSON to other protocols, with typed attributes", async () => {
    await new SnsMarketingNotifier(new SNSClient({}), topicArn).notify(digest);
    const calls = snsMock.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.TopicArn).toBe(topicArn);
    expect(input?.Subject).toBe(digest.subject);
    expect(input?.Subject).toMatch(/^[\x20-\x7E]{1,99}$/);
    expect(input?.MessageStructure).toBe("json");
    const message = JSON.parse(String(input?.Message)) as Record<string, string>;
    expect(Object.keys(message).sort()).toEqual(["default", "email"]);
    expect(message.email).toBe(digest.body);
    expect(message.email).toContain("流失预警汇总");
    expect(JSON.parse(String(message.default))).toMatchObject({
      kind: "digest",
      runId: "scoring@2026-12-25T00:00:00.000Z",
      topHighValue: [{ userId: "u-1", valueMinor: 720_000 }],
    });
    const attributes = input?.MessageAttributes ?? {};
    expect(Object.keys(attributes).length).toBeLessThanOrEqual(10);
    expect(attributes.kind).toEqual({ DataType: "String", StringValue: "digest" });
    expect(attributes.critical).toEqual({ DataType: "Number", StringValue: "1" });
    expect(attributes.scored).toEqual({ DataType: "Number", StringValue: "10" });
    expect(JSON.parse(String(attributes.topUsers?.StringValue))).toEqual([
      expect.objectContaining({ userId: "u-1", reasons: ["uninstall_silence"] }),
    ]);
  });

  it("publishes the text body to every protocol when configured for String structure", async () => {
    const alert = alertFor({ ...user, warningId: "w-1", runId: "r-1", asOf: "2026-12-25" });
    await new SnsMarketingNotifier(new SNSClient({}), topicArn, "string").notify(alert);
    const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.MessageStructure).toBeUndefined();
    expect(input?.Message).toBe(alert.body);
    expect(input?.Subject).toBe("churnwatch alert: high-value user critical - shop/u-1");
    expect(input?.MessageAttributes?.valueMinor).toEqual({
      DataType: "Number",
      StringValue: "720000",
    });
    expect(input?.MessageAttributes?.userId).toEqual({ DataType: "String", StringValue: "u-1" });
  });

  it("lets a failed publish fail the caller", async () => {
    snsMock.on(PublishCommand).rejects(new Error("throttled"));
    await expect(
      new SnsMarketingNotifier(new SNSClient({}), topicArn).notify(digest),
    ).rejects.toThrow("throttled");
  });

  it("leaves out what SNS refuses: empty strings and non-finite numbers", () => {
    expect(snsAttributesOf({ a: "", b: Number.NaN, c: 0, d: "x" })).toEqual({
      c: { DataType: "Number", StringValue: "0" },
      d: { DataType: "String", StringValue: "x" },
    });
  });
});
