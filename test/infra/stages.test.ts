import { beforeAll, describe, expect, it } from "vitest";
import { ofType, props, refId, type Synthesized, synthesize } from "./synth.js";

describe("prod stage", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize({
      stage: "prod",
      alarmEmail: "ops@example.com",
      marketingEmail: "crm@example.com",
    });
  });

  it("is its own stack, so dev and prod can share an account", () => {
    expect(s.stack.stackName).toBe("Churnwatch-prod");
  });

  it("retains tables with deletion protection", () => {
    const tables = ofType(s.resources, "AWS::DynamoDB::Table");
    expect(tables.length).toBeGreaterThan(0);
    for (const [id, t] of tables) {
      expect(t.DeletionPolicy, id).toBe("Retain");
      expect(t.UpdateReplacePolicy, id).toBe("Retain");
      expect(props(t).DeletionProtectionEnabled, id).toBe(true);
    }
  });

  it("retains the keys that decrypt retained data, and logs for a year", () => {
    for (const [id, k] of ofType(s.resources, "AWS::KMS::Key")) {
      expect(k.DeletionPolicy, id).toBe("Retain");
    }
    for (const [id, lg] of ofType(s.resources, "AWS::Logs::LogGroup")) {
      expect(props(lg).RetentionInDays, id).toBe(365);
    }
  });

  it("subscribes the configured addresses to the marketing and ops topics", () => {
    const marketing = s.stack.resolve(s.stack.actions.marketingTopic.topic.topicArn);
    const ops = s.stack.resolve(s.stack.observability.opsTopic.topic.topicArn);
    s.template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "crm@example.com",
      TopicArn: marketing,
    });
    s.template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
      TopicArn: ops,
    });
  });

  it("logs at INFO", () => {
    for (const [, fn] of ofType(s.resources, "AWS::Lambda::Function")) {
      const vars = (props(fn).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(vars.POWERTOOLS_LOG_LEVEL).toBe("INFO");
    }
  });
});

describe("dev stage without e-mail addresses", () => {
  it("creates no e-mail subscriptions and can be torn down", () => {
    const s = synthesize();
    expect(s.stack.stackName).toBe("Churnwatch-dev");
    expect(
      ofType(s.resources, "AWS::SNS::Subscription").filter(
        ([, sub]) => props(sub).Protocol === "email",
      ),
    ).toEqual([]);
    for (const [id, k] of ofType(s.resources, "AWS::KMS::Key")) {
      expect(k.DeletionPolicy, id).toBe("Delete");
    }
    expect(refId({ Ref: "x" })).toBe("x");
  });
});

describe("small accounts", () => {
  it("can deploy without reserved sender concurrency, still capping the senders' pollers", () => {
    const s = synthesize({ reserveSenderConcurrency: "false" });
    for (const [id, fn] of ofType(s.resources, "AWS::Lambda::Function")) {
      expect(props(fn).ReservedConcurrentExecutions, id).toBeUndefined();
    }
    const capped = ofType(s.resources, "AWS::Lambda::EventSourceMapping").filter(
      ([, esm]) => props(esm).ScalingConfig !== undefined,
    );
    expect(capped).toHaveLength(3);
  });
});
