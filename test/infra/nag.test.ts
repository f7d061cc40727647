import { App, Stack, Validations } from "aws-cdk-lib";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { applyNagChecks, unacknowledgedNagFindings } from "../../lib/nag.js";
import { buildApp } from "./synth.js";

describe.each(["dev", "prod"])("cdk-nag on the %s stage", (stage) => {
  let app: App;
  beforeAll(() => {
    app = buildApp({ stage, alarmEmail: "ops@example.com", marketingEmail: "crm@example.com" }).app;
  });

  it("has no unacknowledged AwsSolutions or Serverless finding", () => {
    const findings = unacknowledgedNagFindings(app);
    expect(findings.map((f) => `${f.rule} at ${f.paths.join(", ")}`)).toEqual([]);
  });

  // Synthesis with two nag packs takes several seconds; on a busy 2-core runner, more.
  it("synthesizes with the nag packs registered as validation plugins", () => {
    expect(() => app.synth()).not.toThrow();
  }, 90_000);

  it("gives every acknowledgement a rule ID and a reason, on a resource below the stack", () => {
    const acks = app.node.findAll().flatMap((c: IConstruct) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) =>
          Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
            c,
            id,
            reason,
          })),
        ),
    );
    expect(acks.length).toBeGreaterThan(0);
    for (const { c, id, reason } of acks) {
      expect(id, c.node.path).toMatch(/(AwsSolutions|Serverless)-[A-Za-z0-9]+/);
      expect(reason.length, `${id} at ${c.node.path}`).toBeGreaterThan(40);
      // Acknowledging on the app or the stack would hide findings on resources yet to come.
      expect(c.node.path.split("/").length, `${id} at ${c.node.path}`).toBeGreaterThan(2);
    }
  });
});

describe("the nag wiring itself", () => {
  it("fails synthesis and reports a finding that is not acknowledged", () => {
    const app = new App();
    const stack = new Stack(app, "Probe");
    new sqs.Queue(stack, "Plain", { encryption: sqs.QueueEncryption.UNENCRYPTED });
    applyNagChecks(app);
    const rules = unacknowledgedNagFindings(app).map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(["AwsSolutions-SQS2", "AwsSolutions-SQS4"]));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS2/);
  });
});
