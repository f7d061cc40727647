/** Pure parts of local mode: as-of dates, idle, pollers, fauxqs backlogs, stats, outbox, dashboard, environment, context. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../../lambdas/shared/env-names.js";
import { queueUrlEnv, tableEnv, topicArnEnv } from "../../lib/topology.js";
import { AsOfError, parseAsOf } from "../../local/as-of.js";
import { diagnoseStartFailure } from "../../local/emulators/dynamodb-local.js";
import { buildHandlerEnv } from "../../local/handler-env.js";
import { escapeHtml, renderDashboard } from "../../local/http/dashboard.js";
import { assessIdle, readQueueForIdle } from "../../local/idle.js";
import { prepareOutbox, readOutbox } from "../../local/outbox.js";
import {
  buildLocalPlan,
  DEFAULT_EVENTS_POLLERS,
  MAX_POLLERS,
  pollersFromEnv,
  withPollerConcurrency,
} from "../../local/plan.js";
import type { ProvisionedResources } from "../../local/provision.js";
import { createLambdaContext } from "../../local/runtime/lambda-context.js";
import { trackedEventUser } from "../../local/sqs/affinity.js";
import {
  Backlog,
  loadFauxqsStoreClass,
  patchStoreClass,
  useBacklog,
} from "../../local/sqs/fauxqs-backlog.js";
import { countProfiles } from "../../local/stats.js";

describe("as-of dates", () => {
  it.each([
    ["2024-05-01", "2024-05-01T00:00:00.000Z"],
    ["2024-05-01T09:30", "2024-05-01T09:30:00.000Z"],
    ["2024-05-01T09:30:15Z", "2024-05-01T09:30:15.000Z"],
    ["2024-05-01T09:30:15.5Z", "2024-05-01T09:30:15.500Z"],
    ["2024-05-01T09:30:15+08:00", "2024-05-01T01:30:15.000Z"],
    ["2024-05-01T09:30:15-0130", "2024-05-01T11:00:15.000Z"],
    ["2024-02-29", "2024-02-29T00:00:00.000Z"],
  ])("reads %s as %s", (raw, iso) => {
    expect(parseAsOf(raw).toISOString()).toBe(iso);
  });

  it.each([
    "",
    "tomorrow",
    "3/4/2024",
    "2024-02-30",
    "2023-02-29",
    "2024-13-01",
    "2024-05-01T24:00",
    "2024-5-1",
  ])("refuses %j", (raw) => {
    expect(() => parseAsOf(raw)).toThrow(AsOfError);
  });
});

describe("idle", () => {
  const snapshot = (
    overrides: Partial<{
      visible: number;
      delayed: number;
      inFlight: { receiptHandle: string; visibilityDeadline: number }[];
    }>,
  ) => ({
    name: "q",
    visible: 0,
    delayed: 0,
    inFlight: [],
    ...overrides,
  });
  const now = 1_000_000;

  it("is idle with empty queues and no poller holding a batch", () => {
    const report = assessIdle(
      [{ key: "events", snapshot: snapshot({}) }],
      [{ busy: false, awaitingRetry: new Set() }],
      now,
    );
    expect(report).toEqual({
      idle: true,
      busyPollers: 0,
      queues: { events: { visible: 0, inFlight: 0, delayed: 0, awaitingRetry: 0 } },
    });
  });

  it("is busy with a waiting message, a busy poller, or an in-flight message nobody gave back", () => {
    const idlePoller = { busy: false, awaitingRetry: new Set<string>() };
    expect(
      assessIdle([{ key: "q", snapshot: snapshot({ visible: 1 }) }], [idlePoller], now).idle,
    ).toBe(false);
    expect(
      assessIdle([{ key: "q", snapshot: snapshot({ delayed: 1 }) }], [idlePoller], now).idle,
    ).toBe(false);
    expect(
      assessIdle([{ key: "q", snapshot: snapshot({}) }], [{ ...idlePoller, busy: true }], now).idle,
    ).toBe(false);
    const held = snapshot({ inFlight: [{ receiptHandle: "rh", visibilityDeadline: now + 5000 }] });
    expect(assessIdle([{ key: "q", snapshot: held }], [idlePoller], now).idle).toBe(false);
  });

  it("does not wait for failed messages sitting out their visibility timeout", () => {
    const failed = snapshot({
      inFlight: [{ receiptHandle: "rh", visibilityDeadline: now + 5000 }],
    });
    const report = assessIdle(
      [{ key: "q", snapshot: failed }],
      [{ busy: false, awaitingRetry: new Set(["rh"]) }],
      now,
    );
    expect(report.idle).toBe(true);
    expect(report.queues.q).toMatchObject({ inFlight: 1, awaitingRetry: 1 });
  });

  it("counts a message whose visibility ran out as waiting again", () => {
    const expired = snapshot({ inFlight: [{ receiptHandle: "rh", visibilityDeadline: now - 1 }] });
    const report = assessIdle(
      [{ key: "q", snapshot: expired }],
      [{ busy: false, awaitingRetry: new Set(["rh"]) }],
      now,
    );
    expect(report.idle).toBe(false);
    expect(report.queues.q).toMatchObject({ visible: 1, inFlight: 0 });
  });
});

describe("idle from queue counts", () => {
  const idlePoller = { busy: false, awaitingRetry: new Set<string>() };
  const emptySnapshot = { name: "q", visible: 0, delayed: 0, inFlight: [] };

  it("does not copy a queue with messages waiting or delayed: its counts say busy", async () => {
    for (const counts of [
      { visible: 250_000, inFlight: 400, delayed: 0 },
      { visible: 0, inFlight: 0, delayed: 3 },
    ]) {
      let snapshots = 0;
      const reading = await readQueueForIdle("events", {
        counts: async () => counts,
        snapshot: async () => {
          snapshots += 1;
          return emptySnapshot;
        },
      });
      expect(snapshots).toBe(0);
      const report = assessIdle([reading], [idlePoller]);
      expect(report.idle).toBe(false);
      expect(report.queues.events).toMatchObject({ ...counts, awaitingRetry: 0 });
    }
  });

  it("looks at the in-flight messages when none waits, or when the counts cannot be read", async () => {
    const failed = {
      ...emptySnapshot,
      inFlight: [{ receiptHandle: "rh", visibilityDeadline: Date.now() + 60_000 }],
    };
    for (const counts of [{ visible: 0, inFlight: 1, delayed: 0 }, undefined]) {
      const reading = await readQueueForIdle("q", {
        counts: async () => counts,
        snapshot: async () => failed,
      });
      expect(reading.snapshot).toBe(failed);
      // The poller gave that message back: idle. Nobody did: somebody holds it, busy.
      expect(assessIdle([reading], [{ busy: false, awaitingRetry: new Set(["rh"]) }]).idle).toBe(
        true,
      );
      expect(assessIdle([reading], [idlePoller]).idle).toBe(false);
    }
  });
});

describe("local pollers", () => {
  it("run several batches of the events queue at once, keyed by user, and one of the others", () => {
    const pollers = buildLocalPlan().pollers;
    const events = pollers.find((poller) => poller.queue === "events");
    expect(events?.concurrency).toBe(DEFAULT_EVENTS_POLLERS);
    expect(events?.affinityKey).toBe(trackedEventUser);
    for (const poller of pollers.filter((p) => p.queue !== "events")) {
      expect(poller.concurrency).toBe(1);
      expect(poller.affinityKey).toBeUndefined();
    }
  });

  it("take the events queue's concurrency from CHURNWATCH_POLLERS", () => {
    expect(pollersFromEnv({})).toBeUndefined();
    expect(pollersFromEnv({ CHURNWATCH_POLLERS: " " })).toBeUndefined();
    expect(pollersFromEnv({ CHURNWATCH_POLLERS: "1" })).toBe(1);
    expect(pollersFromEnv({ CHURNWATCH_POLLERS: ` ${MAX_POLLERS} ` })).toBe(MAX_POLLERS);
    for (const bad of ["0", "-2", "2.5", "four", String(MAX_POLLERS + 1), "1e1"]) {
      expect(() => pollersFromEnv({ CHURNWATCH_POLLERS: bad })).toThrow(/CHURNWATCH_POLLERS/);
    }
    const pollers = buildLocalPlan().pollers;
    const one = withPollerConcurrency(pollers, 1);
    expect(one.find((poller) => poller.queue === "events")?.concurrency).toBe(1);
    expect(one.filter((poller) => poller.concurrency !== 1)).toEqual([]);
    const three = withPollerConcurrency(pollers, 3);
    expect(three.filter((poller) => poller.concurrency === 3).map((p) => p.queue)).toEqual([
      "events",
    ]);
    expect(withPollerConcurrency(pollers, undefined)).toEqual(pollers);
  });

  it("key an events-queue message by the user it is about, as the profile's partition key", () => {
    const message = (body: string) => ({ Body: body });
    expect(
      trackedEventUser(message(JSON.stringify({ appId: "shop", event: { userId: "u-1" } }))),
    ).toBe("APP#shop#USER#u-1");
    for (const body of [
      "",
      "not json",
      "null",
      "[]",
      '{"appId":"shop"}',
      '{"appId":1,"event":{"userId":"u"}}',
      '{"appId":"a","event":null}',
    ]) {
      expect(trackedEventUser(message(body))).toBeUndefined();
    }
  });
});

describe("fauxqs backlogs", () => {
  it("push and shift in order, iterate what is left and reset on assignment", () => {
    const backlog = new Backlog([1, 2]);
    expect(backlog.push(3, 4)).toBe(4);
    expect(backlog.shift()).toBe(1);
    expect([...backlog]).toEqual([2, 3, 4]);
    expect(backlog.length).toBe(3);
    for (let value = 5; value < 5000; value += 1) backlog.push(value);
    for (let expected = 2; expected < 4000; expected += 1) expect(backlog.shift()).toBe(expected);
    expect(backlog.length).toBe(1000);
    expect([...backlog].slice(0, 2)).toEqual([4000, 4001]);
    backlog.reset([]);
    expect(backlog.length).toBe(0);
    expect(backlog.shift()).toBeUndefined();
  });

  it("take over a queue's message array, and `messages = []` still purges", () => {
    const queue: { messages: unknown } = { messages: ["a", "b"] };
    expect(useBacklog(queue)).toBe(true);
    expect(queue.messages).toBeInstanceOf(Backlog);
    expect([...(queue.messages as Backlog<string>)]).toEqual(["a", "b"]);
    queue.messages = [];
    expect((queue.messages as Backlog<string>).length).toBe(0);
    expect(useBacklog({ messages: "nope" })).toBe(false);
  });

  it("patch the installed fauxqs store, whose queues keep their messages in an array", async () => {
    const store = await loadFauxqsStoreClass();
    expect(typeof (store as { prototype?: { createQueue?: unknown } }).prototype?.createQueue).toBe(
      "function",
    );
    class FakeStore {
      createQueue(name: string) {
        return { name, messages: [] as string[] };
      }
    }
    expect(patchStoreClass(FakeStore)).toBe(true);
    expect(patchStoreClass(FakeStore)).toBe(true);
    expect(new FakeStore().createQueue("q").messages).toBeInstanceOf(Backlog);
    expect(patchStoreClass(class {})).toBe(false);
  });
});

describe("profile counts", () => {
  it("sums events and counts users at risk by risk.atRisk", () => {
    expect(
      countProfiles([
        { eventCount: 3, risk: { atRisk: true } },
        { eventCount: 2, risk: { atRisk: false } },
        { eventCount: 1 },
        { eventCount: "x", risk: null },
      ]),
    ).toEqual({ users: 4, usersAtRisk: 1, events: 6 });
  });
});

describe("outbox and dashboard", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "churnwatch-outbox-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads entries newest first, counts by channel and skips broken lines", async () => {
    const path = join(dir, "a", "outbox.jsonl");
    prepareOutbox(path, true);
    expect(await readOutbox(path)).toEqual({
      total: 0,
      byChannel: {},
      recent: [],
      marketing: { total: 0, recent: [] },
    });
    const line = (n: number, channel: string) =>
      JSON.stringify({
        at: `t${n}`,
        channel,
        appId: "a",
        userId: `u${n}`,
        to: "x",
        body: `b${n}`,
        dedupeKey: `d${n}`,
      });
    const digest = JSON.stringify({
      kind: "marketing",
      at: "t4",
      subject: "digest",
      attributes: { kind: "digest" },
    });
    await writeFile(
      path,
      `${line(1, "email")}\n{broken\n${line(2, "sms")}\n${digest}\n${line(3, "email")}\n`,
    );
    const summary = await readOutbox(path, 2);
    expect(summary.marketing).toEqual({
      total: 1,
      recent: [{ at: "t4", kind: "digest", subject: "digest" }],
    });
    expect(summary.total).toBe(3);
    expect(summary.byChannel).toEqual({ email: 2, sms: 1 });
    expect(summary.recent.map((entry) => entry.userId)).toEqual(["u3", "u2"]);
  });

  it("keeps an existing outbox unless asked for a fresh one", async () => {
    const path = join(dir, "b.jsonl");
    await writeFile(path, '{"channel":"email"}\n');
    prepareOutbox(path, false);
    expect((await readOutbox(path)).total).toBe(1);
    prepareOutbox(path, true);
    expect((await readOutbox(path)).total).toBe(0);
    expect((await readOutbox(join(dir, "missing.jsonl"))).total).toBe(0);
  });

  it("escapes everything that came from clients and leaves addresses out", () => {
    const html = renderDashboard({
      stats: {
        users: 2,
        usersAtRisk: 1,
        events: 7,
        outbox: { total: 1, byChannel: { email: 1 }, marketing: 1 },
        queues: { email: { visible: 0, inFlight: 0, delayed: 0, deadLetters: 2 } },
      },
      recentOutbox: [
        {
          id: "o-1",
          at: "2024-05-01T00:00:00Z",
          channel: "email",
          appId: "a",
          userId: "<script>alert(1)</script>",
          to: "secret@example.com",
          subject: "Hi & welcome",
          body: "x".repeat(500),
          dedupeKey: "d",
        },
      ],
      nextFirings: { scoring: "2024-05-02T02:00:00.000Z" },
      generatedAt: new Date("2024-05-01T00:00:00Z"),
    });
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("secret@example.com");
    expect(html).toContain("Hi &amp; welcome");
    expect(html).not.toContain("x".repeat(200));
    expect(escapeHtml(`"'<>&`)).toBe("&quot;&#39;&lt;&gt;&amp;");
  });
});

describe("the handlers' environment", () => {
  const plan = buildLocalPlan();
  const resources: ProvisionedResources = {
    tables: {
      users: "t-users",
      dedupe: "t-dedupe",
      contacts: "t-contacts",
      ledger: "t-ledger",
      apiKeys: "t-keys",
      scoring: "t-scoring",
    },
    queues: Object.fromEntries(
      plan.queues.map((queue) => [
        queue.key,
        {
          key: queue.key,
          name: queue.name,
          url: `http://sqs/${queue.name}`,
          arn: `arn:${queue.name}`,
          dlqName: queue.dlqName,
          dlqUrl: `http://sqs/${queue.dlqName}`,
          dlqArn: `arn:${queue.dlqName}`,
        },
      ]),
    ) as unknown as ProvisionedResources["queues"],
    topicArns: { retention: "arn:retention", marketing: "arn:marketing" },
  };
  const env = buildHandlerEnv({
    resources,
    endpoints: { dynamodb: "http://ddb", sqs: "http://sqs", sns: "http://sns" },
    outboxPath: "/tmp/outbox.jsonl",
    powertoolsLogLevel: "WARN",
  });

  it("sets every resource variable of the topology and the local-mode switches", () => {
    const required = [
      ...Object.values(tableEnv),
      ...Object.values(queueUrlEnv),
      ...Object.values(topicArnEnv),
      ENV.channelProvider,
      ENV.outboxPath,
      ENV.dynamodbEndpoint,
      ENV.sqsEndpoint,
      ENV.snsEndpoint,
    ];
    for (const name of required) expect(env[name as string], name).toBeTruthy();
  });

  it("points each variable at the right resource", () => {
    expect(env).toMatchObject({
      USERS_TABLE: "t-users",
      API_KEYS_TABLE: "t-keys",
      EVENTS_QUEUE_URL: "http://sqs/churnwatch-events",
      SCORING_QUEUE_URL: "http://sqs/churnwatch-scoring",
      RETENTION_TOPIC_ARN: "arn:retention",
      CHANNEL_PROVIDER: "outbox",
      OUTBOX_PATH: "/tmp/outbox.jsonl",
      CHURNWATCH_DYNAMODB_ENDPOINT: "http://ddb",
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      POWERTOOLS_LOG_LEVEL: "WARN",
    });
  });
});

describe("Lambda context", () => {
  it("counts the remaining time down from the function's timeout", () => {
    let now = 1_000;
    const context = createLambdaContext({
      functionName: "score",
      timeoutSeconds: 300,
      memoryMb: 1024,
      region: "us-east-1",
      accountId: "000000000000",
      now: () => now,
    });
    expect(context.getRemainingTimeInMillis()).toBe(300_000);
    now += 1_500;
    expect(context.getRemainingTimeInMillis()).toBe(298_500);
    expect(context).toMatchObject({
      functionName: "churnwatch-local-score",
      memoryLimitInMB: "1024",
      invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:churnwatch-local-score",
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("DynamoDB Local start failures", () => {
  it("explains a Java that is too old", () => {
    const output =
      "Error: LinkageError occurred while loading main class com.amazonaws.services.dynamodbv2.local.main.ServerRunner\n" +
      "java.lang.UnsupportedClassVersionError: ... (class file version 61.0), this version of the Java Runtime only recognizes class file versions up to 55.0";
    const diagnosis = diagnoseStartFailure(output);
    expect(diagnosis.retry).toBe(false);
    expect(diagnosis.message).toContain("Java 17+");
    expect(diagnosis.message).toContain("55.0");
  });

  it("retries when another process took the port", () => {
    expect(diagnoseStartFailure("java.net.BindException: Address already in use").retry).toBe(true);
  });
});
