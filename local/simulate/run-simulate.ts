/**
 * `churnwatch simulate`: generates a shop with known behaviour types and churn dates
 * (lambdas/domain/simulation/), registers its promotions with the running local mode, writes its
 * events as JSONL and posts them with `churnwatch replay`'s machinery (batches, retries, waiting
 * for the pipeline and counting what it applied), and writes the ground truth CSV that
 * `churnwatch evaluate --truth` reads.
 */
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dayKey, dayNumberOfKey } from "../../lambdas/domain/calendar.js";
import {
  BEHAVIOUR_TYPES,
  type BehaviourType,
  CHURNING_TYPES,
  eventsOf,
  type SimShop,
  simulateShop,
} from "../../lambdas/domain/simulation/shop.js";
import { formatTruthCsv } from "../../lambdas/domain/simulation/truth-csv.js";
import { LocalModeError } from "../errors.js";
import { formatCount, formatDuration } from "../replay/progress.js";
import {
  describeSummary,
  type ReplayDeps,
  type ReplayOptions,
  type ReplaySummary,
  runReplay,
} from "../replay/run-replay.js";
import { type RegisteredPromotion, registerPromotions } from "./register-promotions.js";
import { writeEventsJsonl } from "./write-events-jsonl.js";

/** Days held back at the end for the suggested train/evaluate: the horizon and its follow-up. */
export const SUGGESTED_HORIZON_DAYS = 30;
const HELD_OUT_DAYS = 2 * SUGGESTED_HORIZON_DAYS;
/** Fewer days of history than this before the suggested as-of make no sensible training set. */
const MIN_TRAINING_DAYS = 30;
const PROGRESS_LINE_MS = 10_000;
const REDRAW_MS = 100;

export interface SimulateOptions {
  readonly users: number;
  readonly days: number;
  readonly seed: number;
  /** The first simulated day, YYYY-MM-DD (UTC). */
  readonly start: string;
  readonly truthFile: string;
  /** Where to write the events; left out, a temporary file removed afterwards. */
  readonly eventsFile?: string;
  readonly url: string;
  readonly apiKey: string;
  /** No --url given: the suggested commands leave it out too. */
  readonly defaultUrl: boolean;
  readonly json: boolean;
  /** Wait for the pipeline to go idle and count the applied events. */
  readonly wait: boolean;
  readonly waitTimeoutMs: number;
  /** Events per request. */
  readonly batchSize: number;
}

export interface SimulateDeps extends ReplayDeps {
  /** Where the temporary events file goes (default os.tmpdir()). */
  readonly tempDir?: string;
}

export interface SimulateSummary {
  readonly shop: {
    readonly seed: number;
    readonly start: string;
    /** The last simulated day. */
    readonly end: string;
    readonly days: number;
    readonly users: number;
    readonly churnDays: number;
  };
  readonly usersByType: Readonly<Record<BehaviourType, number>>;
  /** Users of a churning type (they all have a churn date in the truth). */
  readonly churners: number;
  readonly promotions: readonly RegisteredPromotion[];
  readonly events: {
    readonly generated: number;
    /** Size of the JSONL file. */
    readonly bytes: number;
    readonly posted: number;
    readonly accepted: number;
    readonly rejected: number;
    readonly unparseable: number;
    /** Stored as new by the pipeline; null when not waited for. */
    readonly applied: number | null;
    /** Accepted but dropped by the pipeline as applied before (an earlier run). */
    readonly alreadyKnown: number | null;
    readonly deadLettered: number | null;
  };
  readonly timing: {
    readonly generateMs: number;
    readonly postingMs: number;
    /** From the last batch to an idle pipeline; null when not waited for or not settled. */
    readonly settleMs: number | null;
    /** From the first batch to an idle pipeline (or the last batch without waiting). */
    readonly elapsedMs: number;
    readonly postedPerSecond: number;
    /** Accepted events per second from the first batch to an idle pipeline. */
    readonly appliedPerSecond: number | null;
  };
  readonly files: {
    readonly truth: string;
    /** Null when the temporary events file was removed. */
    readonly events: string | null;
  };
  /** Suggested next commands (empty when the period is too short for them). */
  readonly next: readonly string[];
  readonly replay: ReplaySummary;
}

/**
 * What to run next on this shop: train as of 60 days before the end with a 30-day horizon,
 * evaluate with the calibration period ending the day before that as-of and the holdout
 * running to the last simulated day (the horizon plus the 30 days that confirm a churn).
 */
export function nextCommands(
  shop: Pick<SimShop, "start" | "days">,
  truthFile: string,
  server: { readonly url: string; readonly defaultUrl: boolean },
): string[] {
  if (shop.days - HELD_OUT_DAYS < MIN_TRAINING_DAYS) return [];
  const first = dayNumberOfKey(shop.start);
  const asOf = dayKey(first + shop.days - HELD_OUT_DAYS);
  const calibrationEnd = dayKey(first + shop.days - HELD_OUT_DAYS - 1);
  const holdoutEnd = dayKey(first + shop.days - 1);
  const url = server.defaultUrl ? "" : ` --url ${server.url}`;
  return [
    `npx churnwatch train --as-of ${asOf} --horizon ${SUGGESTED_HORIZON_DAYS}${url}`,
    `npx churnwatch evaluate --calibration-end ${calibrationEnd} --holdout-end ${holdoutEnd} --truth ${truthFile}${url}`,
  ];
}

function countByType(shop: SimShop): Record<BehaviourType, number> {
  const counts = Object.fromEntries(BEHAVIOUR_TYPES.map((type) => [type, 0])) as Record<
    BehaviourType,
    number
  >;
  for (const user of shop.users) counts[user.type] += 1;
  return counts;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${formatCount(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Progress of writing the events file: a redrawn line on a terminal, a line now and then. */
function generationProgress(deps: SimulateDeps, users: number) {
  const startedAt = deps.now();
  let lastDraw = Number.NEGATIVE_INFINITY;
  let lastLine = startedAt;
  let drawn = false;
  return {
    update(usersDone: number, events: number) {
      const now = deps.now();
      const text = `generating events: ${formatCount(usersDone)}/${formatCount(users)} users, ${formatCount(events)} events`;
      if (deps.interactive) {
        if (now - lastDraw < REDRAW_MS) return;
        lastDraw = now;
        deps.stderr(`\r\x1b[K${text}`);
        drawn = true;
      } else if (now - lastLine >= (deps.progressIntervalMs ?? PROGRESS_LINE_MS)) {
        lastLine = now;
        deps.stderr(`simulate: ${text}\n`);
      }
    },
    done() {
      if (drawn) deps.stderr("\r\x1b[K");
      drawn = false;
    },
  };
}

function describe(summary: SimulateSummary, replayText: string): string {
  const { shop, events, timing } = summary;
  const lines: string[] = [];
  lines.push(
    `simulated shop: ${formatCount(shop.users)} users × ${formatCount(shop.days)} days, ${shop.start} to ${shop.end}, seed ${shop.seed}`,
  );
  const types = BEHAVIOUR_TYPES.map(
    (type) => `${formatCount(summary.usersByType[type])} ${type}`,
  ).join(", ");
  lines.push(`  users        ${types}`);
  lines.push(
    `  churners     ${formatCount(summary.churners)} (${[...CHURNING_TYPES].join(", ")}; churned = ${shop.churnDays} days without activity)`,
  );
  const added = summary.promotions.filter((p) => p.status === "added").length;
  const spans = summary.promotions.map((p) => `${p.name} ${p.from}..${p.to}`).join(", ");
  lines.push(
    `  promotions   ${formatCount(summary.promotions.length)} (${formatCount(added)} added, ${formatCount(
      summary.promotions.length - added,
    )} already registered)${spans ? `: ${spans}` : ""}`,
  );
  lines.push(
    `  events       ${formatCount(events.generated)} generated (${formatBytes(events.bytes)} of JSONL in ${formatDuration(
      timing.generateMs,
    )}), ${formatCount(events.posted)} posted, ${formatCount(events.accepted)} accepted, ${formatCount(
      events.rejected,
    )} rejected`,
  );
  const pipeline = summary.replay.pipeline;
  if (pipeline) {
    lines.push(
      `  pipeline     ${formatCount(pipeline.applied)} applied as new, ${
        pipeline.alreadyKnown === null ? "?" : formatCount(pipeline.alreadyKnown)
      } already known, ${formatCount(pipeline.deadLettered)} dead-lettered; ${
        pipeline.settled
          ? `idle ${formatDuration(pipeline.settleMs)} after the last batch`
          : `still busy ${formatDuration(pipeline.settleMs)} after the last batch: the numbers are not final`
      }`,
    );
  } else if (summary.replay.pipelineNote) {
    lines.push(`  pipeline     ${summary.replay.pipelineNote}`);
  }
  lines.push(
    `  throughput   ${formatCount(timing.postedPerSecond)} events/s posted (${formatDuration(
      timing.postingMs,
    )})${
      timing.appliedPerSecond !== null
        ? `, ${formatCount(timing.appliedPerSecond)} events/s applied end to end (${formatDuration(
            timing.elapsedMs,
          )})`
        : ""
    }`,
  );
  lines.push(`  truth        ${summary.files.truth} (${formatCount(shop.users)} users)`);
  lines.push(`  events file  ${summary.files.events ?? "removed (pass --events FILE to keep it)"}`);
  if (pipeline?.settled && pipeline.alreadyKnown !== null && pipeline.alreadyKnown > 0) {
    lines.push(
      `note: ${formatCount(pipeline.alreadyKnown)} events were applied before (the same --seed posted earlier): each event counts once. ` +
        "A run with the same seed but another --start or --days reuses event IDs, so its events are dropped: simulate another shop into a fresh local mode.",
    );
  }
  const replay = summary.replay;
  if (replay.stopped || replay.rejected.count > 0 || replay.unparseable.count > 0) {
    lines.push(
      "posting:",
      ...replayText
        .trimEnd()
        .split("\n")
        .map((line) => `  ${line}`),
    );
    if (replay.stopped && summary.files.events) {
      lines.push(
        `resume with: npx churnwatch replay ${summary.files.events} --from-line ${replay.stopped.resumeFromLine}` +
          " (or run the same simulate again: events already applied count as duplicates)",
      );
    }
  }
  if (summary.next.length > 0) {
    lines.push("next:", ...summary.next.map((command) => `  ${command}`));
  } else {
    lines.push(
      `next: train and evaluate need ${HELD_OUT_DAYS + MIN_TRAINING_DAYS} days or more (${HELD_OUT_DAYS} held out for a ${SUGGESTED_HORIZON_DAYS}-day horizon): simulate with --days ${HELD_OUT_DAYS + MIN_TRAINING_DAYS} or more`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export async function runSimulate(
  options: SimulateOptions,
  deps: SimulateDeps,
): Promise<{ summary: SimulateSummary; exitCode: number }> {
  const shop = simulateShop({
    users: options.users,
    days: options.days,
    seed: options.seed,
    start: new Date(dayNumberOfKey(options.start) * 86_400_000),
  });

  // Before anything is written or posted: the server is there, and the sales are its calendar.
  const promotions = await registerPromotions(shop.promotions, {
    url: options.url,
    apiKey: options.apiKey,
    fetch: deps.fetch,
  });

  await writeFile(options.truthFile, formatTruthCsv(shop.truth)).catch((error: unknown) => {
    throw new LocalModeError(
      `churnwatch simulate: cannot write the truth file ${options.truthFile}: ${(error as Error).message}`,
      1,
    );
  });

  const eventsFile =
    options.eventsFile ??
    join(deps.tempDir ?? tmpdir(), `churnwatch-simulate-${process.pid}-${Date.now()}.jsonl`);
  let keepEvents = options.eventsFile !== undefined;
  try {
    const generateStartedAt = deps.now();
    const progress = generationProgress(deps, shop.users.length);
    let usersDone = 0;
    function* events() {
      for (const user of shop.users) {
        if (deps.signal?.aborted) {
          throw new LocalModeError("churnwatch simulate: interrupted while generating events", 130);
        }
        yield* eventsOf(user, shop);
        usersDone += 1;
      }
    }
    const written = await writeEventsJsonl(events(), eventsFile, (count) =>
      progress.update(usersDone, count),
    )
      .catch((error: unknown) => {
        if (error instanceof LocalModeError) throw error;
        throw new LocalModeError(
          `churnwatch simulate: cannot write the events file ${eventsFile}: ${(error as Error).message}`,
          1,
        );
      })
      .finally(() => progress.done());
    const generateMs = deps.now() - generateStartedAt;

    const replayOptions: ReplayOptions = {
      file: eventsFile,
      format: "jsonl",
      batchSize: options.batchSize,
      fromLine: 1,
      url: options.url,
      apiKey: options.apiKey,
      json: false,
      wait: options.wait,
      waitTimeoutMs: options.waitTimeoutMs,
      defaultUrl: options.defaultUrl,
    };
    let replayText = "";
    const { summary: replay, exitCode } = await runReplay(replayOptions, {
      ...deps,
      stdout: (text) => {
        replayText += text;
      },
    });
    // A stopped run keeps its events so the replay can resume where it stopped.
    if (replay.stopped) keepEvents = true;
    if (replayText === "") replayText = describeSummary(replay, replayOptions);

    const usersByType = countByType(shop);
    const pipeline = replay.pipeline;
    const summary: SimulateSummary = {
      shop: {
        seed: shop.seed,
        start: shop.start,
        end: dayKey(dayNumberOfKey(shop.start) + shop.days - 1),
        days: shop.days,
        users: shop.users.length,
        churnDays: shop.churnDays,
      },
      usersByType,
      churners: BEHAVIOUR_TYPES.filter((type) => CHURNING_TYPES.has(type)).reduce(
        (sum, type) => sum + usersByType[type],
        0,
      ),
      promotions,
      events: {
        generated: written.events,
        bytes: written.bytes,
        posted: replay.eventsPosted,
        accepted: replay.accepted,
        rejected: replay.rejected.count,
        unparseable: replay.unparseable.count,
        applied: pipeline?.applied ?? null,
        alreadyKnown: pipeline?.alreadyKnown ?? null,
        deadLettered: pipeline?.deadLettered ?? null,
      },
      timing: {
        generateMs: Math.round(generateMs),
        postingMs: replay.postingMs,
        settleMs: pipeline?.settled ? pipeline.settleMs : null,
        elapsedMs: replay.elapsedMs,
        postedPerSecond: replay.eventsPerSecond,
        appliedPerSecond: replay.endToEndEventsPerSecond,
      },
      files: { truth: options.truthFile, events: keepEvents ? eventsFile : null },
      next: nextCommands(shop, options.truthFile, options),
      replay,
    };
    deps.stdout(
      options.json ? `${JSON.stringify(summary, null, 2)}\n` : describe(summary, replayText),
    );
    return { summary, exitCode };
  } finally {
    if (!keepEvents) await rm(eventsFile, { force: true });
  }
}
