/**
 * The SQS poller against a real fauxqs (no JVM needed), and the fauxqs behaviour local mode
 * relies on: redrive to the DLQ after maxReceiveCount, SNS filter policies, raw delivery.
 */
import {
  CreateTopicCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSqsClient, LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/aws-clients.js";
import { type FauxqsEmulator, startFauxqsEmulator } from "../../local/emulators/fauxqs.js";
import { createPoller, type Poller } from "../../local/sqs/poller.js";

let fauxqs: FauxqsEmulator;
let sqs: SQSClient;
let sns: SNSClient;
const running: Poller[] = [];
let counter = 0;

beforeAll(async () => {
  fauxqs = await startFauxqsEmulator();
  sqs = createSqsClient(fauxqs.endpoint);
  sns = new SNSClient({
    endpoint: fauxqs.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((poller) => poller.stop()));
});

afterAll(async () => {
  sqs.destroy();
  sns.destroy();
  await fauxqs.stop();
});

async function arnOf(url: string): Promise<string> {
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  return attributes.Attributes?.QueueArn as string;
}

/** A queue with a DLQ, as provisioning builds them, with a short visibility timeout. */
async function queueWithDlq(visibilityTimeout: number, maxReceiveCount: number) {
  const name = `q${++counter}`;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqUrl = dlq.QueueUrl as string;
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeout),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await arnOf(dlqUrl),
          maxReceiveCount,
        }),
      },
    }),
  );
  return { name, url: main.QueueUrl as string, arn: await arnOf(main.QueueUrl as string), dlqUrl };
}

async function send(url: string, bodies: readonly string[]): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies
          .slice(start, start + 10)
          .map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
  }
}

function startPoller(options: Omit<Parameters<typeof createPoller>[0], "sqs">): Poller {
  const poller = createPoller({ sqs, waitTimeSeconds: 0, ...options });
  running.push(poller);
  poller.start();
  return poller;
}

async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 8_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function drain(url: string): Promise<string[]> {
  const received = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  return (received.Messages ?? []).map((message) => message.Body as string);
}

describe("the SQS poller", () => {
  it("deletes the batch-mates of a failed message and lets SQS move the failed one to the DLQ", async () => {
    const queue = await queueWithDlq(1, 2);
    const deliveries: { body: string; receiveCount: string }[] = [];
    const batches: SQSEvent[] = [];
    const poller = startPoller({
      queueUrl: queue.url,
      batchSize: 10,
      windowSeconds: 0,
      visibilityTimeoutSeconds: 1,
      invoke: async (event) => {
        batches.push(event);
        for (const record of event.Records) {
          deliveries.push({
            body: record.body,
            receiveCount: record.attributes.ApproximateReceiveCount,
          });
        }
        return {
          batchItemFailures: event.Records.filter((record) => record.body === "poison").map(
            (record) => ({
              itemIdentifier: record.messageId,
            }),
          ),
        };
      },
    });
    await send(queue.url, ["ok-1", "poison", "ok-2"]);

    // Delivered once with its batch-mates, once more after the visibility timeout, then redriven.
    await until(async () => (await fauxqs.inspector.snapshot(`${queue.name}-dlq`))?.visible === 1);
    expect(
      deliveries.filter((delivery) => delivery.body === "poison").map((d) => d.receiveCount),
    ).toEqual(["1", "2"]);
    expect(deliveries.filter((delivery) => delivery.body.startsWith("ok"))).toHaveLength(2);
    expect(batches[0]?.Records[0]?.eventSourceARN).toBe(queue.arn);
    expect(batches[0]?.Records[0]?.eventSource).toBe("aws:sqs");

    await until(() => !poller.busy);
    const main = await fauxqs.inspector.snapshot(queue.name);
    expect(main).toMatchObject({ visible: 0, delayed: 0, inFlight: [] });
    expect(await drain(queue.dlqUrl)).toEqual(["poison"]);
  });

  it("deletes nothing when the handler throws: the whole batch comes back", async () => {
    const queue = await queueWithDlq(1, 5);
    const seen: string[] = [];
    let calls = 0;
    const poller = startPoller({
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 10,
      windowSeconds: 0,
      visibilityTimeoutSeconds: 1,
      invoke: async (event) => {
        calls++;
        seen.push(
          ...event.Records.map(
            (record) => `${record.body}#${record.attributes.ApproximateReceiveCount}`,
          ),
        );
        if (calls === 1) throw new Error("downstream unavailable");
        return undefined;
      },
    });
    await send(queue.url, ["a", "b"]);
    await until(() => seen.length >= 4);
    expect(seen.sort()).toEqual(["a#1", "a#2", "b#1", "b#2"]);
    await until(() => !poller.busy);
    expect(await fauxqs.inspector.snapshot(queue.name)).toMatchObject({ visible: 0, inFlight: [] });
  });

  it("remembers given-back messages until their visibility timeout, for idle checks", async () => {
    const queue = await queueWithDlq(30, 5);
    const poller = startPoller({
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 1,
      windowSeconds: 0,
      visibilityTimeoutSeconds: 30,
      invoke: async (event) => ({
        batchItemFailures: [{ itemIdentifier: event.Records[0]?.messageId }],
      }),
    });
    await send(queue.url, ["x"]);
    await until(() => poller.awaitingRetry().size === 1);
    const snapshot = await fauxqs.inspector.snapshot(queue.name);
    expect(snapshot?.inFlight.map((entry) => entry.receiptHandle)).toEqual([
      ...poller.awaitingRetry(),
    ]);
  });

  it("fills a batch beyond 10 messages within the batching window", async () => {
    const queue = await queueWithDlq(30, 5);
    const sizes: number[] = [];
    await send(
      queue.url,
      Array.from({ length: 25 }, (_, index) => `m${index}`),
    );
    startPoller({
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 100,
      windowSeconds: 1,
      invoke: async (event) => {
        sizes.push(event.Records.length);
      },
    });
    await until(() => sizes.reduce((sum, size) => sum + size, 0) === 25);
    expect(sizes).toEqual([25]);
    await until(async () => (await fauxqs.inspector.snapshot(queue.name))?.inFlight.length === 0);
  });

  it("with a window of 0 delivers what the first receive got, never more than the batch size", async () => {
    const queue = await queueWithDlq(30, 5);
    await send(queue.url, ["1", "2", "3"]);
    const sizes: number[] = [];
    startPoller({
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 2,
      windowSeconds: 0,
      invoke: async (event) => {
        sizes.push(event.Records.length);
      },
    });
    await until(() => sizes.reduce((sum, size) => sum + size, 0) === 3);
    expect(sizes).toEqual([2, 1]);
  });

  it("finishes the batch in hand when stopped", async () => {
    const queue = await queueWithDlq(30, 5);
    let release: () => void = () => undefined;
    let started = false;
    let finished = false;
    const poller = createPoller({
      sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 1,
      windowSeconds: 0,
      invoke: async () => {
        started = true;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        finished = true;
      },
    });
    poller.start();
    await send(queue.url, ["slow"]);
    await until(() => started);
    const stopping = poller.stop();
    setTimeout(() => release(), 100);
    await stopping;
    expect(finished).toBe(true);
    expect(await fauxqs.inspector.snapshot(queue.name)).toMatchObject({ visible: 0, inFlight: [] });
  });
});

describe("fauxqs behaviour local mode relies on", () => {
  it("applies SNS filter policies and raw delivery keeps the body and attributes", async () => {
    const topic = await sns.send(new CreateTopicCommand({ Name: `t${++counter}` }));
    const email = await queueWithDlq(30, 5);
    const sms = await queueWithDlq(30, 5);
    for (const [queue, channel] of [
      [email, "email"],
      [sms, "sms"],
    ] as const) {
      await sns.send(
        new SubscribeCommand({
          TopicArn: topic.TopicArn,
          Protocol: "sqs",
          Endpoint: queue.arn,
          Attributes: {
            FilterPolicy: JSON.stringify({ channel: [channel] }),
            RawMessageDelivery: "true",
          },
        }),
      );
    }
    await sns.send(
      new PublishCommand({
        TopicArn: topic.TopicArn,
        Message: '{"userId":"u1"}',
        MessageAttributes: { channel: { DataType: "String", StringValue: "email" } },
      }),
    );
    const records: SQSRecord[] = [];
    startPoller({
      queueUrl: email.url,
      queueArn: email.arn,
      batchSize: 10,
      windowSeconds: 0,
      invoke: async (event) => {
        records.push(...event.Records);
      },
    });
    await until(() => records.length === 1);
    expect(records[0]?.body).toBe('{"userId":"u1"}');
    expect(records[0]?.messageAttributes.channel).toEqual({
      stringValue: "email",
      stringListValues: [],
      binaryListValues: [],
      dataType: "String",
    });
    expect(await fauxqs.inspector.snapshot(sms.name)).toMatchObject({ visible: 0, inFlight: [] });
  });

  it("passes plain SQS message attributes through", async () => {
    const queue = await queueWithDlq(30, 5);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: "b",
        MessageAttributes: { kind: { DataType: "String", StringValue: "segment" } },
      }),
    );
    const records: SQSRecord[] = [];
    startPoller({
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 10,
      windowSeconds: 0,
      invoke: async (event) => {
        records.push(...event.Records);
      },
    });
    await until(() => records.length === 1);
    expect(records[0]?.messageAttributes.kind?.stringValue).toBe("segment");
    expect(Number(records[0]?.attributes.SentTimestamp)).toBeGreaterThan(0);
  });
});
