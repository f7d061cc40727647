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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("the SQS poller with several batches at once", () => {
  it("runs up to `concurrency` batches at once and delivers every message once", async () => {
    const queue = await queueWithDlq(30, 5);
    const bodies = Array.from({ length: 30 }, (_, index) => `m${index}`);
    await send(queue.url, bodies);
    const delivered: string[] = [];
    let active = 0;
    let mostActive = 0;
    let mostInHand = 0;
    const poller = startPoller({
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 5,
      windowSeconds: 0,
      concurrency: 3,
      invoke: async (event) => {
        active += 1;
        mostActive = Math.max(mostActive, active);
        mostInHand = Math.max(mostInHand, poller.batchesInHand);
        await sleep(50);
        delivered.push(...event.Records.map((record) => record.body));
        active -= 1;
      },
    });
    await until(() => delivered.length === bodies.length);
    expect(mostActive).toBe(3);
    expect(mostInHand).toBe(3);
    expect(delivered.sort()).toEqual([...bodies].sort());
    await until(() => !poller.busy);
    expect(poller.batchesInHand).toBe(0);
    expect(await fauxqs.inspector.snapshot(queue.name)).toMatchObject({ visible: 0, inFlight: [] });
  });

  it("never puts one key in two batches at once, and keeps a key's messages in order", async () => {
    const queue = await queueWithDlq(30, 5);
    const keys = ["a", "b", "c", "d", "e"];
    // a#0 b#0 c#0 d#0 e#0 a#1 …: every receive brings keys other batches hold.
    const bodies = Array.from(
      { length: 60 },
      (_, index) => `${keys[index % keys.length]}#${Math.floor(index / keys.length)}`,
    );
    await send(queue.url, bodies);
    const inHand = new Set<string>();
    const clashes: string[] = [];
    const byKey = new Map<string, string[]>();
    let batches = 0;
    const poller = startPoller({
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 4,
      windowSeconds: 0,
      concurrency: 3,
      affinityKey: (message) => message.Body?.split("#")[0],
      invoke: async (event) => {
        batches += 1;
        const mine = new Set(event.Records.map((record) => record.body.split("#")[0] as string));
        for (const key of mine) {
          if (inHand.has(key)) clashes.push(key);
          inHand.add(key);
        }
        await sleep(10 + (batches % 3) * 15);
        for (const record of event.Records) {
          const [key] = record.body.split("#") as [string];
          byKey.set(key, [...(byKey.get(key) ?? []), record.body]);
        }
        for (const key of mine) inHand.delete(key);
      },
    });
    await until(() => [...byKey.values()].flat().length === bodies.length);
    expect(clashes).toEqual([]);
    for (const key of keys) {
      expect(byKey.get(key)).toEqual(bodies.filter((body) => body.startsWith(`${key}#`)));
    }
    await until(() => !poller.busy);
    expect(await fauxqs.inspector.snapshot(queue.name)).toMatchObject({ visible: 0, inFlight: [] });
  });

  it("lets a message without a key go into any batch", async () => {
    const queue = await queueWithDlq(30, 5);
    await send(queue.url, ["x", "y", "z", "w"]);
    const delivered: string[] = [];
    startPoller({
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 2,
      windowSeconds: 0,
      concurrency: 2,
      affinityKey: () => undefined,
      invoke: async (event) => {
        await sleep(20);
        delivered.push(...event.Records.map((record) => record.body));
      },
    });
    await until(() => delivered.length === 4);
    expect(delivered.sort()).toEqual(["w", "x", "y", "z"]);
  });

  it("when stopped, finishes every batch in hand and the messages waiting for their key", async () => {
    const queue = await queueWithDlq(30, 5);
    // Two loops of batches of 2: [a#1, a#2] and [b#1] in hand, a#3 waits for a's batch.
    await send(queue.url, ["a#1", "a#2", "a#3", "b#1"]);
    const started: string[][] = [];
    const finished: string[] = [];
    let gate: Promise<void> | undefined;
    let open: () => void = () => undefined;
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const poller = createPoller({
      sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 2,
      windowSeconds: 0,
      waitTimeSeconds: 0,
      concurrency: 2,
      affinityKey: (message) => message.Body?.split("#")[0],
      invoke: async (event) => {
        started.push(event.Records.map((record) => record.body));
        await gate;
        finished.push(...event.Records.map((record) => record.body));
      },
    });
    poller.start();
    await until(() => started.length === 2);
    expect(started.flat().sort()).toEqual(["a#1", "a#2", "b#1"]);
    expect(poller.batchesInHand).toBe(2);
    expect(poller.busy).toBe(true);
    const stopping = poller.stop();
    setTimeout(() => {
      gate = undefined;
      open();
    }, 100);
    await stopping;
    expect(finished.sort()).toEqual(["a#1", "a#2", "a#3", "b#1"]);
    expect(finished.indexOf("a#3")).toBeGreaterThan(finished.indexOf("a#2"));
    expect(poller.busy).toBe(false);
    expect(await fauxqs.inspector.snapshot(queue.name)).toMatchObject({ visible: 0, inFlight: [] });
  });

  it("offers failed messages again after retryAfterSeconds with several batches at once", async () => {
    const queue = await queueWithDlq(30, 5);
    await send(queue.url, ["ok-1", "bad", "ok-2", "ok-3"]);
    const deliveries: string[] = [];
    const poller = startPoller({
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 2,
      windowSeconds: 0,
      visibilityTimeoutSeconds: 30,
      retryAfterSeconds: 1,
      concurrency: 2,
      invoke: async (event) => {
        deliveries.push(...event.Records.map((record) => record.body));
        const bad = event.Records.filter(
          (record) => record.body === "bad" && record.attributes.ApproximateReceiveCount === "1",
        );
        return { batchItemFailures: bad.map((record) => ({ itemIdentifier: record.messageId })) };
      },
    });
    await until(() => deliveries.filter((body) => body === "bad").length === 2);
    expect(deliveries.filter((body) => body.startsWith("ok")).sort()).toEqual([
      "ok-1",
      "ok-2",
      "ok-3",
    ]);
    await until(() => !poller.busy);
    expect(await fauxqs.inspector.snapshot(queue.name)).toMatchObject({ visible: 0, inFlight: [] });
  });

  it("refuses a concurrency that is not a whole number of at least 1", () => {
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      expect(() =>
        createPoller({
          sqs,
          queueUrl: "http://127.0.0.1:1/000000000000/q",
          batchSize: 1,
          windowSeconds: 0,
          concurrency,
          invoke: async () => undefined,
        }),
      ).toThrow(RangeError);
    }
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
