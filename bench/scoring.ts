/**
 * Scoring throughput, measured in one run:
 *   1. Compute: users/s per core of `assessRisk` (lambdas/domain/risk.ts) on feature records held
 *      in memory, for light users (~10 day buckets) and heavy ones (~120), with the rules alone
 *      and with a churn model + BTYD artefact trained here; against the issue's target of
 *      100,000 users/s per core. One thread, so per core.
 *   2. The scheduled run against a raw scan over DynamoDB Local: N profiles in the users table
 *      (records built with applyEvents, items laid out as the features writer writes them), then
 *      in rounds, interleaved, a parallel Scan reading every item and `scoreSegment` over the same
 *      segments with the real DynamoFeatureStore; target: the run at >= 0.8 of the scan's rate.
 *      The first round writes every user's risk (nothing was scored before), later rounds only
 *      what changed; the rounds are reported one by one.
 * Every number printed comes from this run; synthetic users come from a fixed seed.
 *
 * From bench/run.ts: `const scoring = await benchScoring({ database: db }); formatScoringBench(scoring)`.
 * Alone: `node local/run-ts.js bench/scoring.ts [--scoring-users N] [--scoring-rounds N]
 *   [--scan-profiles N] [--scan-rounds N] [--scan-segments N] [--no-scan]`.
 */
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { BatchWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoFeatureStore, PROFILE_SK } from "../lambdas/adapters/dynamo-feature-store.js";
import { featuresAsOf, isChurnLabel } from "../lambdas/domain/as-of.js";
import { btydInputs } from "../lambdas/domain/btyd.js";
import { dayKey } from "../lambdas/domain/calendar.js";
import type { BtydArtefact, ChurnModelArtefact } from "../lambdas/domain/churn-model/artefacts.js";
import { btydSignals, fitBtydArtefact } from "../lambdas/domain/churn-model/btyd-artefact.js";
import { type TrainingRow, trainChurnModel } from "../lambdas/domain/churn-model/train.js";
import { churnVectorOf } from "../lambdas/domain/churn-model/user-vector.js";
import type { BehaviourEvent } from "../lambdas/domain/events.js";
import {
  applyEvents,
  type FeatureInput,
  type UserFeatures,
  type UserProfile,
} from "../lambdas/domain/features.js";
import {
  DEFAULT_INDICATOR_OPTIONS,
  deriveIndicators,
  type IndicatorOptions,
} from "../lambdas/domain/indicators.js";
import type { Customer } from "../lambdas/domain/models/index.js";
import type { Promotion } from "../lambdas/domain/promotions.js";
import type { Warning } from "../lambdas/domain/retention.js";
import {
  assessRisk,
  DEFAULT_TIER_THRESHOLDS,
  modelLabel,
  type RiskAssessment,
  type ScoringOptions,
} from "../lambdas/domain/risk.js";
import { userPartitionKey } from "../lambdas/domain/user-key.js";
import type { MessageQueue, ProfileScanner, SegmentSummary } from "../lambdas/ports.js";
import { scoreSegment } from "../lambdas/use-cases/score-segment.js";
import { parallelScan } from "../local/parallel-scan.js";
import { type BenchDatabase, startBenchDatabase } from "./dynamodb.js";
import { table } from "./report.js";

/** The issue's target: users scored per second per core. */
export const SCORING_TARGET_USERS_PER_SECOND = 100_000;
/** The issue's target for the scheduled run: at least this share of a raw scan's rate. */
export const RUN_TO_SCAN_TARGET = 0.8;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Every synthetic user lives in Shanghai (no daylight saving: a local day is UTC+8 throughout). */
const ZONE = "Asia/Shanghai";
const ZONE_OFFSET_MS = 8 * HOUR_MS;
const APP_ID = "bench-scoring";
/** Last local day with events; the run scores as of the midnight after it. */
const LAST_DAY = Math.floor(Date.parse("2026-11-20T00:00:00Z") / DAY_MS);
const FIRST_DAY = LAST_DAY - 364;
const SCORE_AS_OF = new Date((LAST_DAY + 1) * DAY_MS - ZONE_OFFSET_MS).toISOString();
/** Training cut-off: the end of this local day, labels from the 30 days after it. */
const HORIZON_DAYS = 30;
const TRAIN_DAY = LAST_DAY - HORIZON_DAYS - 15;
const TRAIN_AS_OF = new Date((TRAIN_DAY + 1) * DAY_MS - ZONE_OFFSET_MS - 1);
const PROMOTIONS: readonly Promotion[] = [
  { name: "618", from: "2026-06-01", to: "2026-06-18" },
  { name: "double-11", from: "2026-11-01", to: "2026-11-11" },
];
const INDICATOR_OPTIONS: IndicatorOptions = {
  ...DEFAULT_INDICATOR_OPTIONS,
  promotions: PROMOTIONS,
  promotionDampingDays: 7,
};
/** A timed sample runs whole passes over its population for at least this long. */
const MIN_SAMPLE_MS = 150;

export interface ScoringBenchOptions {
  /** Users per population (light, heavy, training). Default 2,000. */
  readonly users?: number;
  /** Timed rounds of the compute series, interleaved. Default 7. */
  readonly rounds?: number;
  /** Profiles written to DynamoDB Local for the run-vs-scan part; 0 skips it. Default 5,000. */
  readonly scanProfiles?: number;
  /** Rounds of scan and run, alternating which goes first. Default 5 (a first run, then 4). */
  readonly scanRounds?: number;
  /** Parallel-scan segments, for both the scan and the run. Default 4 (the dispatcher's). */
  readonly scanSegments?: number;
  /** A database already started (bench/run.ts); otherwise one is started and stopped here. */
  readonly database?: BenchDatabase;
  readonly seed?: number;
  readonly progress?: (line: string) => void;
}

export interface Rate {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface PopulationResult {
  readonly name: string;
  readonly users: number;
  readonly meanDayBuckets: number;
  readonly meanRecordBytes: number;
  readonly rulesOnly: Rate;
  readonly withModel: Rate;
  /** The same with the algorithm training did not keep, so both are always measured. */
  readonly withOtherModel: Rate;
  readonly deriveIndicatorsAlone: Rate;
  readonly btydSignalsAlone: Rate;
}

export interface TrainingSummary {
  readonly users: number;
  readonly rows: number;
  readonly churned: number;
  readonly btydCustomers: number;
  readonly btydConverged: boolean;
  readonly validationAuc: number | null;
  readonly model: string;
  /** The other algorithm's model, trained on the same rows for the compute comparison. */
  readonly otherModel: string;
  readonly elapsedMs: number;
}

export interface RunRound {
  readonly round: number;
  readonly order: "scan first" | "run first";
  readonly scanMs: number;
  readonly scanItems: number;
  readonly runMs: number;
  readonly scored: number;
  readonly riskWrites: number;
  readonly riskWritesRefused: number;
  readonly warned: number;
}

export interface RunVsScanResult {
  readonly profiles: number;
  readonly meanDayBuckets: number;
  readonly segments: number;
  readonly writeMs: number;
  readonly endpoint: string;
  readonly rounds: readonly RunRound[];
}

export interface ScoringBenchResult {
  readonly asOf: string;
  readonly rounds: number;
  readonly training: TrainingSummary;
  readonly populations: readonly PopulationResult[];
  readonly run: RunVsScanResult | undefined;
  readonly targetMet: boolean;
  readonly totalMs: number;
}

// ---------------------------------------------------------------------------------------------
// Synthetic users
// ---------------------------------------------------------------------------------------------

/** Small deterministic PRNG (mulberry32): the same seed gives the same users. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Habit {
  /** Local days with activity, ascending. */
  readonly days: readonly number[];
  /** Chance that an active day holds a purchase. */
  readonly buyShare: number;
  /** Ends with an uninstall on the last active day. */
  readonly uninstalls: boolean;
}

/** A day's events at local times between 08:00 and 23:00: one local day, one day bucket. */
function dayEvents(next: () => number, userId: string, day: number, habit: Habit): FeatureInput[] {
  const inputs: FeatureInput[] = [];
  let minute = 8 * 60 + Math.floor(next() * 8 * 60);
  const at = () => {
    minute = Math.min(minute + 1 + Math.floor(next() * 20), 23 * 60 - 1);
    return new Date(day * DAY_MS - ZONE_OFFSET_MS + minute * 60_000).toISOString();
  };
  const add = (
    type: string,
    properties?: Record<string, unknown>,
    baseAmountMinor?: number,
  ): void => {
    const event = {
      eventId: `${userId}-${day}-${inputs.length}`,
      userId,
      type,
      occurredAt: at(),
      properties,
      context: { platform: "ios", timezone: ZONE },
    } as unknown as BehaviourEvent;
    inputs.push(baseAmountMinor === undefined ? { event } : { event, baseAmountMinor });
  };
  add("app_open");
  if (next() < 0.3) add("login");
  add("session", { durationSec: 30 + Math.floor(next() * 900) });
  for (let views = Math.floor(next() * 3); views > 0; views -= 1) {
    add("product_view", { productId: `p-${Math.floor(next() * 500)}` });
  }
  if (next() < 0.5) add("page_load", { ms: Math.floor(next() * 5_000) });
  if (next() < 0.3) add("search", { query: "shoes", resultCount: Math.floor(next() * 3) });
  if (next() < habit.buyShare) {
    const amountMinor = 1_000 + Math.floor(next() * 60_000);
    add("add_to_cart", { productId: "p-1" });
    add(
      "purchase",
      {
        orderId: `o-${userId}-${day}`,
        amount: amountMinor / 100,
        currency: "CNY",
        ...(next() < 0.2 ? { couponCode: "SAVE10" } : {}),
      },
      amountMinor,
    );
  } else if (next() < 0.1) {
    add("add_to_cart", { productId: "p-1" });
    add("cart_abandon");
  }
  if (next() < 0.05) add("push_opened");
  if (next() < 0.01) add("complaint");
  return inputs;
}

function userOf(next: () => number, userId: string, habit: Habit): UserFeatures {
  const inputs: FeatureInput[] = [];
  for (const day of habit.days) inputs.push(...dayEvents(next, userId, day, habit));
  const last = habit.days.at(-1);
  if (habit.uninstalls && last !== undefined) {
    inputs.push({
      event: {
        eventId: `${userId}-uninstall`,
        userId,
        type: "uninstall",
        occurredAt: new Date(last * DAY_MS - ZONE_OFFSET_MS + 23 * HOUR_MS).toISOString(),
        context: { timezone: ZONE },
      } as unknown as BehaviourEvent,
    });
  }
  return applyEvents(undefined, APP_ID, userId, inputs);
}

/** `count` distinct days drawn evenly from [first, last], ascending. */
function someDays(next: () => number, count: number, first: number, last: number): number[] {
  const span = last - first + 1;
  const picked = new Set<number>();
  while (picked.size < Math.min(count, span)) picked.add(first + Math.floor(next() * span));
  return [...picked].sort((a, b) => a - b);
}

/** Active on `count` days (give or take a fifth) of the last year. */
function fixedActivity(next: () => number, count: number): Habit {
  const days = someDays(next, Math.round(count * (0.8 + 0.4 * next())), FIRST_DAY, LAST_DAY);
  return { days, buyShare: 0.05 + 0.2 * next(), uninstalls: false };
}

/**
 * A shop's mix: joined some day in the year, active on a share of days drawn log-uniformly
 * between 1 % and 60 %, and about half stop for good at some point (a few uninstall then).
 */
function mixedActivity(next: () => number): Habit {
  const joined = FIRST_DAY + Math.floor(next() * (LAST_DAY - FIRST_DAY - 20));
  const quits = next() < 0.5;
  const end = quits ? joined + Math.floor(next() * (LAST_DAY - joined + 1)) : LAST_DAY;
  const share = Math.exp(Math.log(0.01) + next() * (Math.log(0.6) - Math.log(0.01)));
  const days = [joined];
  for (let day = joined + 1; day <= end; day += 1) if (next() < share) days.push(day);
  return { days, buyShare: 0.03 + 0.25 * next(), uninstalls: quits && next() < 0.15 };
}

function population(
  seed: number,
  prefix: string,
  count: number,
  habit: (next: () => number) => Habit,
): UserFeatures[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, index) =>
    userOf(next, `${prefix}-${index}`, habit(next)),
  );
}

function meanDayBuckets(users: readonly UserFeatures[]): number {
  return users.reduce((sum, user) => sum + Object.keys(user.days).length, 0) / users.length;
}

// ---------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------

interface Trained {
  readonly options: ScoringOptions;
  readonly btyd: BtydArtefact;
  readonly churn: ChurnModelArtefact;
  /** Trained on the same rows with the other algorithm: its scoring cost is measured too. */
  readonly otherOptions: ScoringOptions;
  readonly summary: TrainingSummary;
}

/** What `churnwatch fit` and `train` do on the store (model-workbench.ts), on these users. */
function train(users: readonly UserFeatures[]): Trained {
  const started = performance.now();
  const rows: Customer[] = [];
  for (const user of users) {
    const inputs = btydInputs(user, TRAIN_DAY);
    if (inputs) rows.push({ x: inputs.x, tx: inputs.tx, T: inputs.T });
  }
  const fit = fitBtydArtefact(rows, dayKey(TRAIN_DAY));
  const rules = {};
  const training: TrainingRow[] = [];
  for (const user of users) {
    const view = featuresAsOf(user, TRAIN_AS_OF);
    if (!view) continue;
    training.push({
      id: user.userId,
      vector: churnVectorOf(view, TRAIN_AS_OF, {
        btyd: fit.artefact,
        horizonDays: HORIZON_DAYS,
        rules,
        indicatorOptions: INDICATOR_OPTIONS,
      }),
      label: isChurnLabel(user, TRAIN_AS_OF, HORIZON_DAYS, "activity"),
    });
  }
  const churn = trainChurnModel(training, {
    asOf: TRAIN_AS_OF,
    horizonDays: HORIZON_DAYS,
    label: "activity",
    btydVersion: 1,
  });
  const other = trainChurnModel(training, {
    asOf: TRAIN_AS_OF,
    horizonDays: HORIZON_DAYS,
    label: "activity",
    btydVersion: 1,
    algorithm: churn.algorithm === "logistic" ? "boosted-trees" : "logistic",
  });
  const models = {
    churn: { version: 1, artefact: churn },
    btyd: { version: 1, artefact: fit.artefact },
  };
  const otherModels = { ...models, churn: { version: 2, artefact: other } };
  const base = { rules, tiers: DEFAULT_TIER_THRESHOLDS, indicators: INDICATOR_OPTIONS };
  return {
    options: { ...base, models },
    otherOptions: { ...base, models: otherModels },
    btyd: fit.artefact,
    churn,
    summary: {
      users: users.length,
      rows: training.length,
      churned: training.filter((row) => row.label).length,
      btydCustomers: rows.length,
      btydConverged: fit.converged,
      validationAuc: churn.metrics.validationAuc,
      model: modelLabel(models),
      otherModel: modelLabel(otherModels),
      elapsedMs: performance.now() - started,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Compute
// ---------------------------------------------------------------------------------------------

function median(values: readonly number[]): number {
  const sorted = [...values].sort((p, q) => p - q);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function rateOf(samples: readonly number[]): Rate {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

/** Keeps results alive so the work cannot be optimised away. */
let sink = 0;

interface Series {
  readonly users: readonly UserFeatures[];
  readonly score: (user: UserFeatures) => number;
  readonly samples: number[];
}

/** Whole passes over the population for at least MIN_SAMPLE_MS; users per second. */
function sample(series: Series): number {
  let users = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (const user of series.users) sink += series.score(user);
    users += series.users.length;
    elapsed = performance.now() - started;
  } while (elapsed < MIN_SAMPLE_MS);
  return users / (elapsed / 1000);
}

function computeBench(
  populations: readonly { name: string; users: readonly UserFeatures[] }[],
  trained: Trained,
  rounds: number,
): PopulationResult[] {
  const rulesOnly: ScoringOptions = {
    rules: trained.options.rules,
    tiers: trained.options.tiers,
    indicators: INDICATOR_OPTIONS,
  };
  const asOfDate = new Date(SCORE_AS_OF);
  const runId = "bench-compute";
  const all = populations.map(({ name, users }) => {
    const series = (score: (user: UserFeatures) => number): Series => ({
      users,
      score,
      samples: [],
    });
    return {
      name,
      users,
      rulesOnly: series((user) => assessRisk(user, SCORE_AS_OF, runId, rulesOnly).score),
      withModel: series((user) => assessRisk(user, SCORE_AS_OF, runId, trained.options).score),
      withOtherModel: series(
        (user) => assessRisk(user, SCORE_AS_OF, runId, trained.otherOptions).score,
      ),
      indicators: series(
        (user) => deriveIndicators(user, asOfDate, INDICATOR_OPTIONS).daysSinceLastSeen,
      ),
      btyd: series(
        (user) => btydSignals(user, asOfDate, trained.btyd, HORIZON_DAYS).expectedPurchases,
      ),
    };
  });
  const everySeries = all.flatMap((p) => [
    p.rulesOnly,
    p.withModel,
    p.withOtherModel,
    p.indicators,
    p.btyd,
  ]);
  // Warm-up, not counted: every series once, so none pays the JIT alone.
  for (const series of everySeries) sample(series);
  for (let round = 0; round < rounds; round += 1) {
    // Interleaved, and each round starts one series later, so drift spreads over all of them.
    for (let k = 0; k < everySeries.length; k += 1) {
      const series = everySeries[(round + k) % everySeries.length] as Series;
      series.samples.push(sample(series));
    }
  }
  return all.map((p) => ({
    name: p.name,
    users: p.users.length,
    meanDayBuckets: meanDayBuckets(p.users),
    meanRecordBytes:
      p.users.reduce((sum, user) => sum + Buffer.byteLength(JSON.stringify(user)), 0) /
      p.users.length,
    rulesOnly: rateOf(p.rulesOnly.samples),
    withModel: rateOf(p.withModel.samples),
    withOtherModel: rateOf(p.withOtherModel.samples),
    deriveIndicatorsAlone: rateOf(p.indicators.samples),
    btydSignalsAlone: rateOf(p.btyd.samples),
  }));
}

// ---------------------------------------------------------------------------------------------
// The scheduled run against a raw scan
// ---------------------------------------------------------------------------------------------

/** Warnings kept in memory: the run's queue, without SQS in the measurement. */
class MemoryQueue implements MessageQueue<Warning> {
  count = 0;
  async send(messages: readonly Warning[]): Promise<void> {
    this.count += messages.length;
  }
}

/** The real store, with its risk writes counted. */
class CountingScanner implements ProfileScanner {
  writes = 0;
  refused = 0;
  constructor(private readonly store: DynamoFeatureStore) {}
  scanSegment(segment: number, totalSegments: number) {
    return this.store.scanSegment(segment, totalSegments);
  }
  async saveRisk(profile: UserProfile, risk: RiskAssessment): Promise<boolean> {
    const saved = await this.store.saveRisk(profile, risk);
    this.writes += 1;
    if (!saved) this.refused += 1;
    return saved;
  }
}

/**
 * The profile item as DynamoFeatureWriter.profileItem lays it out for a user's first batch:
 * key, the features, version 1 and the write time.
 */
function profileItem(features: UserFeatures, updatedAt: string): Record<string, unknown> {
  return {
    pk: userPartitionKey(features.appId, features.userId),
    sk: PROFILE_SK,
    ...features,
    version: 1,
    updatedAt,
  };
}

async function writeProfiles(
  client: DynamoDBDocumentClient,
  tableName: string,
  profiles: readonly UserFeatures[],
): Promise<void> {
  const updatedAt = new Date((LAST_DAY + 1) * DAY_MS).toISOString();
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < profiles.length; start += 25) {
    batches.push(profiles.slice(start, start + 25).map((p) => profileItem(p, updatedAt)));
  }
  let nextBatch = 0;
  const worker = async () => {
    while (nextBatch < batches.length) {
      const items = batches[nextBatch++] as Record<string, unknown>[];
      let requests = items.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt += 1) {
        if (attempt > 10) throw new Error("BatchWriteItem kept returning unprocessed items");
        const result = await client.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
        );
        requests = (result.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function timedScan(
  client: DynamoDBDocumentClient,
  tableName: string,
  segments: number,
): Promise<{ ms: number; items: number }> {
  let items = 0;
  const started = performance.now();
  await parallelScan(
    client,
    { TableName: tableName },
    (page) => {
      items += page.length;
    },
    segments,
  );
  return { ms: performance.now() - started, items };
}

async function timedRun(
  store: DynamoFeatureStore,
  segments: number,
  options: ScoringOptions,
  runId: string,
): Promise<{ ms: number; summaries: SegmentSummary[]; scanner: CountingScanner; warned: number }> {
  const scanner = new CountingScanner(store);
  const warnings = new MemoryQueue();
  const started = performance.now();
  const summaries = await Promise.all(
    Array.from({ length: segments }, (_, segment) =>
      scoreSegment(
        { runId, asOf: SCORE_AS_OF, segment, totalSegments: segments },
        scanner,
        warnings,
        options,
      ),
    ),
  );
  return { ms: performance.now() - started, summaries, scanner, warned: warnings.count };
}

async function runVsScan(
  database: BenchDatabase,
  profiles: readonly UserFeatures[],
  options: ScoringOptions,
  rounds: number,
  segments: number,
  progress: (line: string) => void,
): Promise<RunVsScanResult> {
  const client = database.client();
  const tableName = database.usersTable;
  const writeStarted = performance.now();
  await writeProfiles(client, tableName, profiles);
  const writeMs = performance.now() - writeStarted;
  progress(`  scoring: ${profiles.length} profiles written in ${Math.round(writeMs)} ms`);
  const store = new DynamoFeatureStore(client, tableName);
  // Warm-up, not counted: DynamoDB Local's JIT and the client's connections.
  await timedScan(client, tableName, segments);

  const results: RunRound[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    const scanFirst = round % 2 === 1;
    let scan = { ms: 0, items: 0 };
    const doScan = async () => {
      scan = await timedScan(client, tableName, segments);
    };
    let run: Awaited<ReturnType<typeof timedRun>> | undefined;
    const doRun = async () => {
      run = await timedRun(store, segments, options, `bench-run-${round}`);
    };
    if (scanFirst) {
      await doScan();
      await doRun();
    } else {
      await doRun();
      await doScan();
    }
    const finished = run as unknown as Awaited<ReturnType<typeof timedRun>>;
    const scored = finished.summaries.reduce((sum, s) => sum + s.scored, 0);
    const skipped = finished.summaries.reduce((sum, s) => sum + s.skipped, 0);
    if (scored + skipped !== profiles.length || skipped > 0) {
      throw new Error(
        `round ${round}: scored ${scored} and skipped ${skipped} of ${profiles.length} profiles`,
      );
    }
    if (scan.items !== profiles.length) {
      throw new Error(`round ${round}: the scan read ${scan.items} of ${profiles.length} items`);
    }
    results.push({
      round,
      order: scanFirst ? "scan first" : "run first",
      scanMs: scan.ms,
      scanItems: scan.items,
      runMs: finished.ms,
      scored,
      riskWrites: finished.scanner.writes,
      riskWritesRefused: finished.scanner.refused,
      warned: finished.warned,
    });
    progress(
      `  scoring: round ${round}/${rounds}: scan ${Math.round(scan.ms)} ms, run ${Math.round(finished.ms)} ms`,
    );
  }
  return {
    profiles: profiles.length,
    meanDayBuckets: meanDayBuckets(profiles),
    segments,
    writeMs,
    endpoint: database.server.endpoint,
    rounds: results,
  };
}

// ---------------------------------------------------------------------------------------------

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen <= 0) {
    throw new Error(`${name} must be a positive integer, got ${chosen}`);
  }
  return chosen;
}

export async function benchScoring(options: ScoringBenchOptions = {}): Promise<ScoringBenchResult> {
  const started = performance.now();
  const users = positiveInteger("users", options.users, 2_000);
  const rounds = positiveInteger("rounds", options.rounds, 7);
  const scanRounds = positiveInteger("scanRounds", options.scanRounds, 5);
  const segments = positiveInteger("scanSegments", options.scanSegments, 4);
  const scanProfiles = options.scanProfiles ?? 5_000;
  if (!Number.isInteger(scanProfiles) || scanProfiles < 0) {
    throw new Error(`scanProfiles must be a whole number, got ${scanProfiles}`);
  }
  const seed = options.seed ?? 20261120;
  const progress = options.progress ?? (() => {});

  const trained = train(population(seed, "t", users, mixedActivity));
  progress(
    `  scoring: trained ${trained.summary.model} on ${users} users in ${Math.round(trained.summary.elapsedMs)} ms`,
  );
  const populations = computeBench(
    [
      { name: "light", users: population(seed + 1, "l", users, (next) => fixedActivity(next, 10)) },
      {
        name: "heavy",
        users: population(seed + 2, "h", users, (next) => fixedActivity(next, 120)),
      },
    ],
    trained,
    rounds,
  );
  progress("  scoring: compute measured");

  let run: RunVsScanResult | undefined;
  if (scanProfiles > 0) {
    const profiles = population(seed + 3, "s", scanProfiles, mixedActivity);
    const database = options.database ?? (await startBenchDatabase());
    try {
      run = await runVsScan(database, profiles, trained.options, scanRounds, segments, progress);
    } finally {
      if (!options.database) await database.close();
    }
  }
  const targetMet = populations.every(
    (p) =>
      p.rulesOnly.median >= SCORING_TARGET_USERS_PER_SECOND &&
      p.withModel.median >= SCORING_TARGET_USERS_PER_SECOND &&
      p.withOtherModel.median >= SCORING_TARGET_USERS_PER_SECOND,
  );
  return {
    asOf: SCORE_AS_OF,
    rounds,
    training: trained.summary,
    populations,
    run,
    targetMet,
    totalMs: performance.now() - started,
  };
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const thousands = (value: number) => Math.round(value).toLocaleString("en-US");

function rateCell(rate: Rate): string {
  return `${thousands(rate.median)} (${thousands(rate.min)}-${thousands(rate.max)})`;
}

function verdict(rate: Rate): string {
  return rate.median >= SCORING_TARGET_USERS_PER_SECOND ? "PASS" : "FAIL";
}

/** The rounds after the first: what a nightly run looks like once risks are stored. */
export function steadyRounds(run: RunVsScanResult): readonly RunRound[] {
  return run.rounds.slice(1);
}

export function formatScoringBench(result: ScoringBenchResult): string {
  const lines: string[] = [];
  const t = result.training;
  lines.push(
    `Scoring compute: assessRisk per user on in-memory feature records, one thread (users/s per core), as of ${result.asOf}`,
    `model: ${t.model} trained here in ${Math.round(t.elapsedMs)} ms on ${t.users} synthetic users (${t.rows} rows, ${t.churned} churned in ${HORIZON_DAYS} days; ` +
      `BTYD on ${t.btydCustomers} purchasers, ${t.btydConverged ? "converged" : "NOT converged"}; validation AUC ${t.validationAuc === null ? "n/a" : t.validationAuc.toFixed(3)}); ` +
      `promotion calendar of ${PROMOTIONS.length} sales; time zone ${ZONE}`,
    table(
      [
        "population",
        "users",
        "day buckets",
        "record bytes",
        "rules only",
        "target",
        `rules + ${t.model}`,
        "target",
        `rules + ${t.otherModel}`,
        "target",
        "deriveIndicators alone",
        "btydSignals alone",
      ],
      result.populations.map((p) => [
        p.name,
        String(p.users),
        p.meanDayBuckets.toFixed(1),
        thousands(p.meanRecordBytes),
        rateCell(p.rulesOnly),
        verdict(p.rulesOnly),
        rateCell(p.withModel),
        verdict(p.withModel),
        rateCell(p.withOtherModel),
        verdict(p.withOtherModel),
        rateCell(p.deriveIndicatorsAlone),
        rateCell(p.btydSignalsAlone),
      ]),
    ),
    `users/s: median (min-max) of ${result.rounds} rounds; each round times every series once, interleaved, for >= ${MIN_SAMPLE_MS} ms of whole passes ` +
      `over its population; one warm-up sample each not counted. Day buckets and record bytes (JSON) are means. Target: ${thousands(SCORING_TARGET_USERS_PER_SECOND)} users/s per core.`,
  );
  const run = result.run;
  if (run) {
    const rows = run.rounds.map((r) => {
      const scanRate = r.scanItems / (r.scanMs / 1000);
      const runRate = r.scored / (r.runMs / 1000);
      return [
        String(r.round),
        r.order,
        String(Math.round(r.scanMs)),
        thousands(scanRate),
        String(Math.round(r.runMs)),
        thousands(runRate),
        (runRate / scanRate).toFixed(2),
        `${r.riskWrites}${r.riskWritesRefused > 0 ? ` (${r.riskWritesRefused} refused)` : ""}`,
        String(r.warned),
      ];
    });
    const steady = steadyRounds(run);
    const ratio = (r: RunRound) => r.scored / r.runMs / (r.scanItems / r.scanMs);
    const steadyRatio = median(steady.map(ratio));
    const first = run.rounds[0];
    lines.push(
      "",
      `Scheduled run vs raw scan: ${run.profiles} profiles (${run.meanDayBuckets.toFixed(1)} day buckets on average) in DynamoDB Local ${run.endpoint} (in memory), ` +
        `${run.segments} segments read concurrently by both; written first in ${Math.round(run.writeMs)} ms as the features writer lays items out`,
      "  raw scan: parallel Scan of every item through the document client; run: scoreSegment per segment with DynamoFeatureStore, the trained model " +
        "and an in-memory warnings queue (risk writes go to DynamoDB as on AWS)",
      table(
        [
          "round",
          "order",
          "scan ms",
          "scan items/s",
          "run ms",
          "run users/s",
          "run/scan",
          "risk writes",
          "warnings",
        ],
        rows,
      ),
      first
        ? `  round 1, a first run (no stored risk, so every user's risk is written: ${first.riskWrites} UpdateItem, 16 at a time per segment): ` +
            `run/scan ${ratio(first).toFixed(2)}, target >= ${RUN_TO_SCAN_TARGET.toFixed(2)} ${ratio(first) >= RUN_TO_SCAN_TARGET ? "met" : "NOT met"}`
        : "  no rounds",
      steady.length > 0
        ? `  rounds 2-${run.rounds.length}, the same moment again (only changed risks are written): ` +
            `run/scan median ${steadyRatio.toFixed(2)}, target >= ${RUN_TO_SCAN_TARGET.toFixed(2)} ${steadyRatio >= RUN_TO_SCAN_TARGET ? "met" : "NOT met"}`
        : "  no later rounds (--scan-rounds 1): nothing measured once risks are stored",
      "  DynamoDB Local, the scan and the scorer share this machine's cores: elapsed times are this run's, not AWS's",
    );
  }
  lines.push(`scoring bench ${Math.round(result.totalMs)} ms`);
  return `${lines.join("\n")}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({
    options: {
      "scoring-users": { type: "string" },
      "scoring-rounds": { type: "string" },
      "scan-profiles": { type: "string" },
      "scan-rounds": { type: "string" },
      "scan-segments": { type: "string" },
      "no-scan": { type: "boolean", default: false },
    },
  });
  // As bench/run.ts runs its children: the SDK's notice about future Node versions is not a result.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
  const scanProfiles = values["no-scan"] ? 0 : number(values["scan-profiles"]);
  benchScoring({
    ...(values["scoring-users"] === undefined ? {} : { users: number(values["scoring-users"]) }),
    ...(values["scoring-rounds"] === undefined ? {} : { rounds: number(values["scoring-rounds"]) }),
    ...(scanProfiles === undefined ? {} : { scanProfiles }),
    ...(values["scan-rounds"] === undefined ? {} : { scanRounds: number(values["scan-rounds"]) }),
    ...(values["scan-segments"] === undefined
      ? {}
      : { scanSegments: number(values["scan-segments"]) }),
    progress: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (result) => {
      process.stdout.write(formatScoringBench(result));
      if (sink === Number.POSITIVE_INFINITY) process.stdout.write("\n");
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(
        `scoring bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
