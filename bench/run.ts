/**
 * `npm run bench`: DynamoDB write requests per accepted event of the features Lambda, side by
 * side with a naive one-write-per-event design, measured in one run against DynamoDB Local:
 *   (a) 200 SQS batches of 25 events spread over 10 users, then the same batches redelivered;
 *   (b) the CDNOW purchase log replayed in batches of the events queue's batch size.
 * The two designs get the same batches, interleaved batch by batch, each through its own client
 * whose requests are counted by middleware. Every number printed comes from this run.
 *
 * Then the BTYD model fits (bench/models.ts), scoring throughput and the scheduled run against a
 * raw scan (bench/scoring.ts, on the same DynamoDB Local) and the ingestion load test.
 *
 * Options: --cdnow FILE (default ../shared/data/cdnow/CDNOW_master.txt), --cdnow-rows N (replay
 * only the first N rows), --strict (exit 1 when (a) misses the target), and for the scoring
 * bench --scoring-users N, --scoring-rounds N, --scan-profiles N (0 skips the run-vs-scan part),
 * --scan-rounds N.
 */

import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { userPartitionKey } from "../lambdas/domain/user-key.js";
import { queues } from "../lib/topology.js";
import { REPO_ROOT } from "../local/paths.js";
import { applyHandlerEnvironment, startBenchDatabase, sumEventCounts } from "./dynamodb.js";
import { lambdaContext, sqsEvent } from "./lambda-events.js";
import { benchModels, formatModelsBench } from "./models.js";
import { NaiveFeatureWriter } from "./naive.js";
import { formatReport, type PhaseResult, type ScenarioReport } from "./report.js";
import { RequestCounter, type RequestTally, summarize } from "./request-counter.js";
import { benchScoring, formatScoringBench } from "./scoring.js";
import { type Batch, cdnowEvent, inBatches, parseCdnow, syntheticBatches } from "./workloads.js";

/** The target for scenario (a): write requests per accepted event. */
const TARGET_WRITES_PER_EVENT = 0.35;
const SCENARIO_A = { batches: 200, eventsPerBatch: 25, users: 10, seed: 20261123 };
const WARMUP = { batches: 10, eventsPerBatch: 25, users: 10, seed: 7 };

type FeaturesHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

interface Designs {
  readonly handler: FeaturesHandler;
  readonly churnwatchCounter: RequestCounter;
  readonly naive: NaiveFeatureWriter;
  readonly naiveCounter: RequestCounter;
}

interface DesignTotals {
  accepted: number;
  failedRecords: number;
  elapsedMs: number;
}

/** Runs both designs over the same batches, alternating which goes first, and counts. */
async function runPhase(
  designs: Designs,
  batches: readonly Batch[],
  receiveCount: number,
  progress?: (done: number) => void,
): Promise<Record<"churnwatch" | "naive", DesignTotals & { tally: RequestTally }>> {
  designs.churnwatchCounter.take();
  designs.naiveCounter.take();
  const churnwatch: DesignTotals = { accepted: 0, failedRecords: 0, elapsedMs: 0 };
  const naive: DesignTotals = { accepted: 0, failedRecords: 0, elapsedMs: 0 };
  for (const [index, batch] of batches.entries()) {
    const event = sqsEvent(batch, receiveCount);
    const runChurnwatch = async () => {
      const context = lambdaContext();
      const started = performance.now();
      const response = await designs.handler(event, context);
      churnwatch.elapsedMs += performance.now() - started;
      const failed = response.batchItemFailures.length;
      churnwatch.failedRecords += failed;
      churnwatch.accepted += batch.length - failed;
    };
    const runNaive = async () => {
      const started = performance.now();
      await designs.naive.applyBatch(batch);
      naive.elapsedMs += performance.now() - started;
      naive.accepted += batch.length;
    };
    if (index % 2 === 0) {
      await runChurnwatch();
      await runNaive();
    } else {
      await runNaive();
      await runChurnwatch();
    }
    progress?.(index + 1);
  }
  return {
    churnwatch: { ...churnwatch, tally: designs.churnwatchCounter.take() },
    naive: { ...naive, tally: designs.naiveCounter.take() },
  };
}

function profileKeys(appId: string, userIds: Iterable<string>, profileSk: string) {
  return [...userIds].map((userId) => ({ pk: userPartitionKey(appId, userId), sk: profileSk }));
}

function naiveKeys(appId: string, userIds: Iterable<string>) {
  return [...userIds].map((userId) => ({ pk: userPartitionKey(appId, userId) }));
}

function usersOf(batches: readonly Batch[]): Set<string> {
  return new Set(batches.flatMap((batch) => batch.map((tracked) => tracked.event.userId)));
}

function distinctEvents(batches: readonly Batch[]): number {
  return new Set(batches.flatMap((batch) => batch.map((tracked) => tracked.event.eventId))).size;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cdnow: { type: "string" },
      "cdnow-rows": { type: "string" },
      strict: { type: "boolean", default: false },
      "scoring-users": { type: "string" },
      "scoring-rounds": { type: "string" },
      "scan-profiles": { type: "string" },
      "scan-rounds": { type: "string" },
    },
  });
  const count = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`--${name} must be a whole number, got "${text}"`);
    }
    return value;
  };
  const scoringUsers = count("scoring-users", values["scoring-users"]);
  const scoringRounds = count("scoring-rounds", values["scoring-rounds"]);
  const scanProfiles = count("scan-profiles", values["scan-profiles"]);
  const scanRounds = count("scan-rounds", values["scan-rounds"]);
  const cdnowPath = resolve(
    values.cdnow ?? resolve(REPO_ROOT, "../shared/data/cdnow/CDNOW_master.txt"),
  );
  const cdnowRowLimit =
    values["cdnow-rows"] === undefined ? undefined : Number(values["cdnow-rows"]);
  if (cdnowRowLimit !== undefined && (!Number.isInteger(cdnowRowLimit) || cdnowRowLimit <= 0)) {
    throw new Error(`--cdnow-rows must be a positive integer, got "${values["cdnow-rows"]}"`);
  }

  // Read the input before starting anything, so a missing file fails fast.
  const allRows = parseCdnow(cdnowPath);
  const rows = cdnowRowLimit === undefined ? allRows : allRows.slice(0, cdnowRowLimit);
  const eventsBatchSize = queues.events.batchSize;
  const cdnowBatches: Batch[] = inBatches(
    rows.map((row) => cdnowEvent("bench-cdnow", row)),
    eventsBatchSize,
  );
  const scenarioA = syntheticBatches({ appId: "bench-a", ...SCENARIO_A });
  const warmup = syntheticBatches({ appId: "bench-warmup", ...WARMUP });

  const runStarted = performance.now();
  const db = await startBenchDatabase();
  const stopOnSignal = () => {
    void db.close().finally(() => process.exit(130));
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);
  try {
    // Scoring first: its run-vs-scan part scans the users table, which must hold its profiles only.
    const scoring = await benchScoring({
      database: db,
      ...(scoringUsers === undefined ? {} : { users: scoringUsers }),
      ...(scoringRounds === undefined ? {} : { rounds: scoringRounds }),
      ...(scanProfiles === undefined ? {} : { scanProfiles }),
      ...(scanRounds === undefined ? {} : { scanRounds }),
      progress: (line) => process.stderr.write(`${line}\n`),
    });

    applyHandlerEnvironment(db.server.endpoint, db.tableNames);
    // Imported only now: the handler reads its configuration and builds its client at load.
    const { handler } = (await import("../lambdas/features/handler.js")) as {
      handler: FeaturesHandler;
    };
    const { dynamo } = await import("../lambdas/shared/clients.js");
    const { PROFILE_SK } = await import("../lambdas/adapters/dynamo-feature-store.js");
    const churnwatchCounter = new RequestCounter();
    churnwatchCounter.attach(dynamo());
    const naiveClient: DynamoDBDocumentClient = db.client();
    const naiveCounter = new RequestCounter();
    naiveCounter.attach(naiveClient);
    const designs: Designs = {
      handler,
      churnwatchCounter,
      naive: new NaiveFeatureWriter(naiveClient, db.naiveTable),
      naiveCounter,
    };

    const problems: string[] = [];
    const appliedByChurnwatch = async (appId: string, users: Set<string>) =>
      sumEventCounts(db.admin, db.usersTable, profileKeys(appId, users, PROFILE_SK));
    const appliedByNaive = async (appId: string, users: Set<string>) =>
      sumEventCounts(db.admin, db.naiveTable, naiveKeys(appId, users));

    const check = (label: string, design: string, phase: PhaseResult, expected: number) => {
      if (phase.failedRecords > 0) {
        problems.push(`${label}: ${design} reported ${phase.failedRecords} failed records`);
      }
      if (phase.applied !== expected) {
        problems.push(`${label}: ${design} applied ${phase.applied} events, expected ${expected}`);
      }
    };

    // Warm-up: the JVM and both clients, so neither design pays the JIT alone. Not counted.
    await runPhase(designs, warmup.batches, 1);

    // (a), first delivery.
    const usersA = new Set(scenarioA.userIds);
    const a1 = await runPhase(designs, scenarioA.batches, 1);
    const appliedA1 = await appliedByChurnwatch("bench-a", usersA);
    const naiveAppliedA1 = await appliedByNaive("bench-a", usersA);
    const a = {
      churnwatch: { ...a1.churnwatch, applied: appliedA1, summary: summarize(a1.churnwatch.tally) },
      naive: { ...a1.naive, applied: naiveAppliedA1, summary: summarize(a1.naive.tally) },
    };
    check("(a)", "churnwatch", a.churnwatch, distinctEvents(scenarioA.batches));
    check("(a)", "naive", a.naive, distinctEvents(scenarioA.batches));

    // (a) again: SQS redelivers every batch (receive count 2); nothing may be applied twice.
    const a2 = await runPhase(designs, scenarioA.batches, 2);
    const redelivery = {
      churnwatch: {
        ...a2.churnwatch,
        applied: (await appliedByChurnwatch("bench-a", usersA)) - appliedA1,
        summary: summarize(a2.churnwatch.tally),
      },
      naive: {
        ...a2.naive,
        applied: (await appliedByNaive("bench-a", usersA)) - naiveAppliedA1,
        summary: summarize(a2.naive.tally),
      },
    };
    check("(a) redelivered", "churnwatch", redelivery.churnwatch, 0);
    check("(a) redelivered", "naive", redelivery.naive, 0);

    // (b) CDNOW, in file order.
    const usersB = usersOf(cdnowBatches);
    const progressEvery = Math.max(1, Math.floor(cdnowBatches.length / 10));
    const b1 = await runPhase(designs, cdnowBatches, 1, (done) => {
      if (done % progressEvery === 0 || done === cdnowBatches.length) {
        process.stderr.write(
          `  cdnow: ${done}/${cdnowBatches.length} batches, ${Math.round((performance.now() - runStarted) / 1000)} s into the run\n`,
        );
      }
    });
    const b = {
      churnwatch: {
        ...b1.churnwatch,
        applied: await appliedByChurnwatch("bench-cdnow", usersB),
        summary: summarize(b1.churnwatch.tally),
      },
      naive: {
        ...b1.naive,
        applied: await appliedByNaive("bench-cdnow", usersB),
        summary: summarize(b1.naive.tally),
      },
    };
    check("(b)", "churnwatch", b.churnwatch, rows.length);
    check("(b)", "naive", b.naive, rows.length);

    const scenarios: ScenarioReport[] = [
      {
        name: `(a) ${SCENARIO_A.batches} batches x ${SCENARIO_A.eventsPerBatch} events, ${usersA.size} users`,
        batches: scenarioA.batches.length,
        ...a,
        target: TARGET_WRITES_PER_EVENT,
      },
      {
        name: `(b) CDNOW ${rows.length === allRows.length ? "full" : "prefix"}: ${rows.length} rows, ${usersB.size} users`,
        batches: cdnowBatches.length,
        ...b,
      },
    ];
    const report = formatReport({
      endpoint: db.server.endpoint,
      eventsBatchSize,
      warmupBatches: warmup.batches.length,
      cdnow: { path: cdnowPath, rows: rows.length, fileRows: allRows.length },
      scenarios,
      redelivery: { batches: scenarioA.batches.length, ...redelivery },
      totalMs: performance.now() - runStarted,
    });
    process.stdout.write(`${report.text}\n`);

    // Buy-till-you-die fits on the CDNOW calibration data (no database involved).
    const models = benchModels();
    process.stdout.write(`\n${formatModelsBench(models)}`);

    // Scoring throughput and the scheduled run against a raw scan, measured first (see above).
    process.stdout.write(`\n${formatScoringBench(scoring)}`);

    // Local mode loads the handlers once per process, and this one already holds them.
    process.stdout.write("\n");
    const load = spawnSync(
      process.execPath,
      [
        resolve(REPO_ROOT, "local/run-ts.js"),
        resolve(REPO_ROOT, "bench/load.ts"),
        "--seconds",
        "5",
      ],
      {
        stdio: ["ignore", "inherit", "inherit"],
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      },
    );
    if (load.status !== 0) problems.push(`the ingestion load test failed (exit ${load.status})`);

    if (problems.length > 0) {
      process.stderr.write(`bench: the run is not valid:\n  ${problems.join("\n  ")}\n`);
      return 1;
    }
    if (values.strict && !report.targetMet) {
      process.stderr.write("bench: (a) misses its target (--strict)\n");
      return 1;
    }
    if (values.strict && !models.targetMet) {
      process.stderr.write("bench: the BG/NBD fit misses its 50 ms target (--strict)\n");
      return 1;
    }
    return 0;
  } finally {
    process.removeListener("SIGINT", stopOnSignal);
    process.removeListener("SIGTERM", stopOnSignal);
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
