/**
 * Local mode and the deployed stack are built from one topology; this holds what local mode
 * builds (`buildLocalPlan()`) against the synthesized template, so neither side can drift.
 */
import type { CfnElement } from "aws-cdk-lib";
import { beforeAll, describe, expect, it } from "vitest";
import { serviceNameOf } from "../../lib/constructs/app-function.js";
import { QueueWithDlq } from "../../lib/constructs/queue-with-dlq.js";
import { SecureTopic } from "../../lib/constructs/secure-topic.js";
import type { FunctionName, QueueName, TopicName } from "../../lib/topology.js";
import { buildLocalPlan, type LocalPlan } from "../../local/plan.js";
import {
  type CfnResourceJson,
  classifyQueues,
  lambdaIds,
  ofType,
  props,
  refId,
  type Synthesized,
  synthesize,
} from "./synth.js";

let s: Synthesized;
let R: Readonly<Record<string, CfnResourceJson>>;
let plan: LocalPlan;
let queueIds: Record<QueueName, { queue: string; dlq: string }>;
let topicIds: Record<TopicName, string>;
let fnIds: Record<FunctionName, string>;

beforeAll(() => {
  s = synthesize();
  R = s.resources;
  plan = buildLocalPlan();
  const logicalId = (c: unknown) => s.stack.getLogicalId(c as CfnElement);
  queueIds = {} as typeof queueIds;
  topicIds = {} as typeof topicIds;
  for (const c of s.stack.node.findAll()) {
    if (c instanceof QueueWithDlq) {
      queueIds[c.name] = {
        queue: logicalId(c.queue.node.defaultChild),
        dlq: logicalId(c.deadLetterQueue.node.defaultChild),
      };
    }
    if (c instanceof SecureTopic) topicIds[c.name] = logicalId(c.topic.node.defaultChild);
  }
  fnIds = lambdaIds(R);
});

function mappingOf(queueId: string): Record<string, unknown> {
  const found = ofType(R, "AWS::Lambda::EventSourceMapping").filter(
    ([, m]) => refId(props(m).EventSourceArn) === queueId,
  );
  expect(found, `one event source mapping on ${queueId}`).toHaveLength(1);
  return props(found[0]?.[1]);
}

describe("local plan vs synthesized template", () => {
  it("has as many queues and DLQs; the only extra DLQs are the schedules'", () => {
    const { work, dlqs, targetDlqs, other } = classifyQueues(R);
    expect(work).toHaveLength(plan.queues.length);
    expect(new Set(dlqs).size).toBe(plan.queues.length);
    expect(new Set(plan.queues.map((q) => q.dlqName)).size).toBe(plan.queues.length);
    expect(targetDlqs).toHaveLength(plan.schedules.length);
    expect(other).toEqual([]);
    expect(Object.keys(queueIds).sort()).toEqual(plan.queues.map((q) => q.key).sort());
  });

  it("gives each queue the local visibility timeout, retention and maxReceiveCount", () => {
    for (const local of plan.queues) {
      const ids = queueIds[local.key];
      const queue = props(R[ids.queue]);
      expect(queue.VisibilityTimeout, local.key).toBe(local.visibilityTimeoutSeconds);
      expect(queue.MessageRetentionPeriod, local.key).toBe(local.retentionSeconds);
      const redrive = queue.RedrivePolicy as {
        maxReceiveCount: number;
        deadLetterTargetArn: unknown;
      };
      expect(redrive.maxReceiveCount, local.key).toBe(local.maxReceiveCount);
      expect(refId(redrive.deadLetterTargetArn)).toBe(ids.dlq);
      expect(props(R[ids.dlq]).MessageRetentionPeriod, local.key).toBe(local.dlqRetentionSeconds);
    }
  });

  it("delivers each queue to the local poller's consumer with its batch size and window", () => {
    expect(ofType(R, "AWS::Lambda::EventSourceMapping")).toHaveLength(plan.pollers.length);
    for (const poller of plan.pollers) {
      const mapping = mappingOf(queueIds[poller.queue].queue);
      expect(refId(mapping.FunctionName), poller.queue).toBe(fnIds[poller.consumer]);
      expect(mapping.BatchSize, poller.queue).toBe(poller.batchSize);
      expect(mapping.MaximumBatchingWindowInSeconds ?? 0, poller.queue).toBe(
        poller.maxBatchingWindowSeconds,
      );
      expect(mapping.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
      expect(props(R[queueIds[poller.queue].queue]).VisibilityTimeout).toBe(
        poller.visibilityTimeoutSeconds,
      );
    }
  });

  it("builds every local topic, and subscribes queues with the same filter policies", () => {
    for (const topic of plan.topics) expect(topicIds[topic.key], topic.key).toBeDefined();
    const queueSubs = ofType(R, "AWS::SNS::Subscription").filter(
      ([, x]) => props(x).Protocol === "sqs",
    );
    expect(queueSubs).toHaveLength(plan.subscriptions.length);
    for (const local of plan.subscriptions) {
      const sub = queueSubs.find(
        ([, x]) =>
          refId(props(x).TopicArn) === topicIds[local.topic] &&
          refId(props(x).Endpoint) === queueIds[local.queue].queue,
      );
      expect(sub, `${local.topic} -> ${local.queue}`).toBeDefined();
      // An empty filter policy is no filter policy, on both sides.
      expect(props(sub?.[1]).FilterPolicy ?? {}).toEqual(local.filterPolicy);
      expect(props(sub?.[1]).RawMessageDelivery).toBe(local.rawMessageDelivery);
    }
  });

  it("gives tables the local key schemas and TTL attributes", () => {
    expect(ofType(R, "AWS::DynamoDB::Table")).toHaveLength(plan.tables.length);
    for (const local of plan.tables) {
      const id = refId(s.stack.resolve(s.stack.store.tables[local.key].tableName)) as string;
      const table = props(R[id]);
      expect(table.KeySchema, local.key).toEqual([
        { AttributeName: local.partitionKey, KeyType: "HASH" },
        ...(local.sortKey ? [{ AttributeName: local.sortKey, KeyType: "RANGE" }] : []),
      ]);
      expect(table.TimeToLiveSpecification, local.key).toEqual(
        local.ttlAttribute ? { AttributeName: local.ttlAttribute, Enabled: true } : undefined,
      );
    }
  });

  it("fires the same schedules at the same targets", () => {
    const rules = ofType(R, "AWS::Events::Rule");
    expect(rules).toHaveLength(plan.schedules.length);
    for (const local of plan.schedules) {
      const rule = rules.find(([, r]) => props(r).ScheduleExpression === local.expression);
      expect(rule, local.name).toBeDefined();
      const targets = props(rule?.[1]).Targets as { Arn: unknown }[];
      expect(targets.map((t) => refId(t.Arn))).toEqual([fnIds[local.target]]);
    }
  });

  it("serves the same routes with the same handlers", () => {
    const methods = ofType(R, "AWS::ApiGateway::Method");
    expect(methods).toHaveLength(plan.routes.length);
    for (const route of plan.routes) {
      const method = methods.find(
        ([, m]) =>
          props(m).HttpMethod === route.method && pathOf(refId(props(m).ResourceId)) === route.path,
      );
      expect(method, `${route.method} ${route.path}`).toBeDefined();
      const uri = JSON.stringify((props(method?.[1]).Integration as { Uri: unknown }).Uri);
      expect(uri).toContain(`"${fnIds[route.handler]}"`);
    }
  });

  it("runs the same handlers with the same timeouts and memory", () => {
    for (const [name, local] of Object.entries(plan.functions) as [
      FunctionName,
      LocalPlan["functions"][FunctionName],
    ][]) {
      const fn = props(R[fnIds[name]]);
      expect(fn.Timeout, name).toBe(local.timeoutSeconds);
      expect(fn.MemorySize, name).toBe(local.memoryMb);
      expect(fn.Description, name).toContain(local.entry);
      expect(
        (fn.Environment as { Variables: Record<string, unknown> }).Variables
          .POWERTOOLS_SERVICE_NAME,
      ).toBe(serviceNameOf(name));
    }
  });
});

function pathOf(id: string | undefined): string {
  const resource = id === undefined ? undefined : R[id];
  if (resource?.Type !== "AWS::ApiGateway::Resource") return "";
  return `${pathOf(refId(props(resource).ParentId))}/${props(resource).PathPart as string}`;
}
