import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CHANNEL_ATTRIBUTE,
  DLQ_RETENTION_DAYS,
  type FunctionName,
  functions,
  type QueueName,
  queues,
  schedules,
  topics,
} from "../../lib/topology.js";
import {
  type CfnResourceJson,
  classifyQueues,
  lambdaIds,
  ofType,
  props,
  refId,
  type Synthesized,
  synthesize,
  topologyFunctionOf,
} from "./synth.js";

let s: Synthesized;
let R: Readonly<Record<string, CfnResourceJson>>;
beforeAll(() => {
  s = synthesize();
  R = s.resources;
});

const queueNames = Object.keys(queues) as QueueName[];

/** The topology queue a work queue is, found through the function its mapping feeds. */
function topologyQueueOf(queueId: string): QueueName {
  const esm = ofType(R, "AWS::Lambda::EventSourceMapping").find(
    ([, m]) => refId(props(m).EventSourceArn) === queueId,
  );
  expect(esm, `event source mapping for ${queueId}`).toBeDefined();
  const fnId = refId(props(esm?.[1]).FunctionName) as string;
  const consumer = topologyFunctionOf(R[fnId] as CfnResourceJson);
  const name = queueNames.find((q) => queues[q].consumer === consumer);
  expect(name, `topology queue consumed by ${consumer}`).toBeDefined();
  return name as QueueName;
}

describe("queues", () => {
  it("has one work queue and one DLQ per topology queue, plus one DLQ per schedule", () => {
    const { work, dlqs, targetDlqs, other } = classifyQueues(R);
    expect(work).toHaveLength(queueNames.length);
    expect(new Set(dlqs).size).toBe(queueNames.length);
    expect(targetDlqs).toHaveLength(Object.keys(schedules).length);
    expect(other).toEqual([]);
    expect(new Set(work.map(topologyQueueOf))).toEqual(new Set(queueNames));
  });

  it("redrives every work queue to its DLQ after the topology's maxReceiveCount (>= 5)", () => {
    for (const id of classifyQueues(R).work) {
      const spec = queues[topologyQueueOf(id)];
      const redrive = props(R[id]).RedrivePolicy as { maxReceiveCount: number };
      expect(spec.maxReceiveCount).toBeGreaterThanOrEqual(5);
      expect(redrive.maxReceiveCount).toBe(spec.maxReceiveCount);
    }
  });

  it("keeps messages as long as the topology says, DLQs for the longest SQS allows", () => {
    const { work, dlqs, targetDlqs } = classifyQueues(R);
    for (const id of work) {
      const days = queues[topologyQueueOf(id)].retentionDays;
      expect(props(R[id]).MessageRetentionPeriod).toBe(days * 86_400);
    }
    for (const id of [...dlqs, ...targetDlqs]) {
      expect(props(R[id]).MessageRetentionPeriod).toBe(DLQ_RETENTION_DAYS * 86_400);
    }
  });

  it("sets every visibility timeout to at least 6x its consumer's timeout", () => {
    for (const [, esm] of ofType(R, "AWS::Lambda::EventSourceMapping")) {
      const queue = R[refId(props(esm).EventSourceArn) as string];
      const fn = R[refId(props(esm).FunctionName) as string];
      const timeout = props(fn).Timeout as number;
      expect(timeout).toBeGreaterThan(0);
      expect(props(queue).VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
    }
  });

  it("encrypts every queue and denies requests without TLS", () => {
    const all = ofType(R, "AWS::SQS::Queue");
    for (const [id, q] of all) {
      const p = props(q);
      expect(p.SqsManagedSseEnabled === true || p.KmsMasterKeyId !== undefined, id).toBe(true);
      const policy = ofType(R, "AWS::SQS::QueuePolicy").find(([, qp]) =>
        (props(qp).Queues as unknown[]).some((ref) => refId(ref) === id),
      );
      expect(policy, `queue policy of ${id}`).toBeDefined();
      expect(JSON.stringify(props(policy?.[1]).PolicyDocument)).toContain(
        '"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny"',
      );
    }
  });
});

describe("event source mappings", () => {
  it("report batch item failures and use the topology's batch size and window", () => {
    const mappings = ofType(R, "AWS::Lambda::EventSourceMapping");
    expect(mappings).toHaveLength(queueNames.length);
    for (const [, esm] of mappings) {
      const spec = queues[topologyQueueOf(refId(props(esm).EventSourceArn) as string)];
      expect(props(esm).FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
      expect(props(esm).BatchSize).toBe(spec.batchSize);
      expect(props(esm).MaximumBatchingWindowInSeconds).toBe(
        spec.maxBatchingWindowSeconds > 0 ? spec.maxBatchingWindowSeconds : undefined,
      );
    }
  });

  it("cap poller concurrency at the reserved concurrency of senders", () => {
    const ids = lambdaIds(R);
    for (const [name, spec] of Object.entries(functions) as [
      FunctionName,
      (typeof functions)[FunctionName],
    ][]) {
      if (spec.reservedConcurrency === undefined) continue;
      expect(props(R[ids[name]]).ReservedConcurrentExecutions).toBe(spec.reservedConcurrency);
      s.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        FunctionName: { Ref: ids[name] },
        ScalingConfig: { MaximumConcurrency: spec.reservedConcurrency },
      });
    }
  });
});

describe("topics and subscriptions", () => {
  it("encrypts every topic with a customer-managed key and enforces TLS on publish", () => {
    const topicsInTemplate = ofType(R, "AWS::SNS::Topic");
    expect(topicsInTemplate).toHaveLength(Object.keys(topics).length);
    for (const [id, t] of topicsInTemplate) {
      const keyId = refId(props(t).KmsMasterKeyId) as string;
      expect(R[keyId]?.Type, id).toBe("AWS::KMS::Key");
      expect(props(R[keyId]).EnableKeyRotation).toBe(true);
      s.template.hasResourceProperties("AWS::SNS::TopicPolicy", {
        Topics: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: "Deny",
              Action: "sns:Publish",
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            }),
          ]),
        },
      });
    }
  });

  it("subscribes each channel queue with one filter policy, raw delivery and a redrive policy", () => {
    const subscriptions = ofType(R, "AWS::SNS::Subscription").filter(
      ([, sub]) => props(sub).Protocol === "sqs" && props(sub).FilterPolicy !== undefined,
    );
    expect(subscriptions).toHaveLength(topics.retention.subscriptions.length);
    for (const spec of topics.retention.subscriptions) {
      const matching = subscriptions.filter(
        ([, sub]) => JSON.stringify(props(sub).FilterPolicy) === JSON.stringify(spec.filterPolicy),
      );
      expect(matching, `subscription of ${spec.queue}`).toHaveLength(1);
      const sub = props(matching[0]?.[1]);
      expect(sub.RawMessageDelivery).toBe(true);
      const queueId = refId(sub.Endpoint) as string;
      expect(topologyQueueOf(queueId)).toBe(spec.queue);
      // SNS redrives what it cannot deliver into the channel's own DLQ.
      const dlqId = refId(
        (sub.RedrivePolicy as { deadLetterTargetArn: unknown }).deadLetterTargetArn,
      );
      const queueRedrive = props(R[queueId]).RedrivePolicy as { deadLetterTargetArn: unknown };
      expect(dlqId).toBe(refId(queueRedrive.deadLetterTargetArn));
      s.template.hasResourceProperties("AWS::SQS::QueuePolicy", {
        Queues: [{ Ref: dlqId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: "Allow",
              Action: "sqs:SendMessage",
              Principal: { Service: "sns.amazonaws.com" },
            }),
          ]),
        },
      });
    }
    expect(Object.keys(topics.retention.subscriptions[0]?.filterPolicy ?? {})).toEqual([
      CHANNEL_ATTRIBUTE,
    ]);
  });

  it("gives every SNS→SQS subscription a redrive policy into its queue's DLQ", () => {
    const subscriptions = ofType(R, "AWS::SNS::Subscription").filter(
      ([, sub]) => props(sub).Protocol === "sqs",
    );
    const expected = Object.values(topics).reduce((n, topic) => n + topic.subscriptions.length, 0);
    expect(subscriptions).toHaveLength(expected);
    for (const [id, sub] of subscriptions) {
      const queueId = refId(props(sub).Endpoint) as string;
      const dlqId = refId(
        (props(sub).RedrivePolicy as { deadLetterTargetArn: unknown } | undefined)
          ?.deadLetterTargetArn,
      );
      const queueRedrive = props(R[queueId]).RedrivePolicy as { deadLetterTargetArn: unknown };
      expect(dlqId, id).toBe(refId(queueRedrive.deadLetterTargetArn));
    }
  });

  it("keeps provider feedback in SNS's signed envelope (raw delivery off)", () => {
    const feedback = ofType(R, "AWS::SNS::Subscription").filter(
      ([, sub]) =>
        props(sub).Protocol === "sqs" &&
        topologyQueueOf(refId(props(sub).Endpoint) as string) === "feedback",
    );
    expect(feedback).toHaveLength(1);
    expect(props(feedback[0]?.[1]).RawMessageDelivery ?? false).toBe(false);
  });
});

describe("alarms", () => {
  const alarmsOn = (metricName: string) =>
    ofType(R, "AWS::CloudWatch::Alarm").filter(([, a]) => props(a).MetricName === metricName);

  it("alarm on every DLQ as soon as it holds a message, notifying the ops topic", () => {
    const { dlqs, targetDlqs } = classifyQueues(R);
    const opsTopic = s.stack.resolve(s.stack.observability.opsTopic.topic.topicArn);
    for (const dlq of [...dlqs, ...targetDlqs]) {
      const alarm = alarmsOn("ApproximateNumberOfMessagesVisible").find(([, a]) =>
        (props(a).Dimensions as { Value: unknown }[]).some(
          (d) => JSON.stringify(d.Value) === JSON.stringify({ "Fn::GetAtt": [dlq, "QueueName"] }),
        ),
      );
      expect(alarm, `alarm on ${dlq}`).toBeDefined();
      const p = props(alarm?.[1]);
      expect(p.Threshold).toBe(0);
      expect(p.ComparisonOperator).toBe("GreaterThanThreshold");
      expect(p.AlarmActions).toEqual([opsTopic]);
    }
  });

  it("alarm on errors and throttles of every function and on API 5XX", () => {
    const fnIds = ofType(R, "AWS::Lambda::Function").map(([id]) => id);
    for (const metric of ["Errors", "Throttles"]) {
      const covered = alarmsOn(metric).flatMap(([, a]) =>
        (props(a).Dimensions as { Value: unknown }[]).map((d) => refId(d.Value)),
      );
      expect(new Set(covered)).toEqual(new Set(fnIds));
    }
    expect(alarmsOn("5XXError")).toHaveLength(1);
    for (const [, a] of ofType(R, "AWS::CloudWatch::Alarm")) {
      expect((props(a).AlarmActions as unknown[]).length).toBe(1);
    }
  });

  it("lets CloudWatch use the ops topic and its key", () => {
    const topicId = refId(s.stack.resolve(s.stack.observability.opsTopic.topic.topicArn)) as string;
    s.template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" } }),
        ]),
      },
    });
    const keyId = refId(props(R[topicId]).KmsMasterKeyId) as string;
    expect(JSON.stringify(props(R[keyId]).KeyPolicy)).toContain("cloudwatch.amazonaws.com");
  });
});

describe("e-mail feedback", () => {
  it("sends SES bounces and complaints of the senders' configuration set to the feedback topic", () => {
    const [[, destination] = []] = ofType(R, "AWS::SES::ConfigurationSetEventDestination");
    const spec = props(destination).EventDestination as {
      Enabled: boolean;
      MatchingEventTypes: string[];
      SnsDestination: { TopicARN: unknown };
    };
    expect(spec.MatchingEventTypes.sort()).toEqual(["bounce", "complaint"]);
    const topicId = refId(spec.SnsDestination.TopicARN) as string;
    const subscribed = ofType(R, "AWS::SNS::Subscription").filter(
      ([, sub]) => refId(props(sub).TopicArn) === topicId,
    );
    expect(
      subscribed.map(([, sub]) => topologyQueueOf(refId(props(sub).Endpoint) as string)),
    ).toEqual(["feedback"]);
    const configurationSet = refId(props(destination).ConfigurationSetName);
    s.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: { SES_CONFIGURATION_SET: { Ref: configurationSet } } },
    });
  });
});
