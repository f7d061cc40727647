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
import { DEFAULT_EXPERIMENT } from "../../lambdas/domain/actions/policy.js";
import { dayKey, dayNumberOfKey } from "../../lambdas/domain/calendar.js";
import type { BehaviourEvent } from "../../lambdas/domain/events.js";
import {
  BEHAVIOUR_TYPES,
  type BehaviourType,
  CHURNING_TYPES,
  eventsOf,
  type SimShop,
  type SimUser,
  simulateShop,
} from "../../lambdas/domain/simulation/shop.js";
import { formatTruthCsv } from "../../lambdas/domain/simulation/truth-csv.js";
import {
  eventsBefore,
  eventsFrom,
  type TargetedOutcome,
  targetedOutcome,
  treatedTruth,
  type WinbackTreatment,
  winbackTruth,
} from "../../lambdas/domain/simulation/winback.js";
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
import {
  assignmentsOf,
  fetchActions,
  putContacts,
  scoreAsOf,
  type TreatmentTarget,
} from "./treatment.js";
import {
  combineReplays,
  describeWinback,
  type PhaseCounts,
  type WinbackSummary,
} from "./winback-summary.js";
import { writeEventsJsonl } from "./write-events-jsonl.js";

/** Days held back at the end for the suggested train/evaluate: the horizon and its follow-up. */
export const SUGGESTED_HORIZON_DAYS = 30;
const HELD_OUT_DAYS = 2 * SUGGESTED_HORIZON_DAYS;
/** Fewer days of history than this before the suggested as-of make no sensible training set. */
const MIN_TRAINING_DAYS = 30;
const PROGRESS_LINE_MS = 10_000;
const REDRAW_MS = 100;
const DAY_MS = 86_400_000;

/** `--treatment-effect` and its companions: a win-back experiment with a known effect. */
export interface TreatmentOptions {
  /** E, the chance a treated user who would not come back naturally does, in [0, 1]. */
  readonly effect: number;
  /** The treatment day, YYYY-MM-DD: scoring runs as of its midnight UTC. */
  readonly at: string;
  /** The win-back window in days (the report's --window-days). */
  readonly windowDays: number;
  /** Where the win-back truth (JSON) goes. */
  readonly truthJson: string;
}

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
  /** A win-back experiment with a known treatment effect (contacts, scoring, treatment). */
  readonly treatment?: TreatmentOptions;
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
  /** With a treatment effect: both postings added up. */
  readonly replay: ReplaySummary;
  /** With --treatment-effect: the experiment, its true effect and what was realised. */
  readonly winback?: WinbackSummary;
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
  if (summary.winback) lines.push(...describeWinback(summary.winback));
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

/** Writes a stream of users' events to the JSONL file, with progress, as simulate's own error. */
async function writePhase(
  shop: SimShop,
  eventsOfUser: (user: SimUser) => Iterable<BehaviourEvent>,
  eventsFile: string,
  deps: SimulateDeps,
  append: boolean,
): Promise<{ events: number; bytes: number; generateMs: number }> {
  const generateStartedAt = deps.now();
  const progress = generationProgress(deps, shop.users.length);
  let usersDone = 0;
  function* events() {
    for (const user of shop.users) {
      if (deps.signal?.aborted) {
        throw new LocalModeError("churnwatch simulate: interrupted while generating events", 130);
      }
      yield* eventsOfUser(user);
      usersDone += 1;
    }
  }
  const written = await writeEventsJsonl(
    events(),
    eventsFile,
    (count) => progress.update(usersDone, count),
    { append },
  )
    .catch((error: unknown) => {
      if (error instanceof LocalModeError) throw error;
      throw new LocalModeError(
        `churnwatch simulate: cannot write the events file ${eventsFile}: ${(error as Error).message}`,
        1,
      );
    })
    .finally(() => progress.done());
  return { ...written, generateMs: deps.now() - generateStartedAt };
}

/** Posts the file's lines from `fromLine` on as `churnwatch replay` does; its text is kept. */
async function postPhase(
  options: SimulateOptions,
  deps: SimulateDeps,
  eventsFile: string,
  fromLine: number,
): Promise<{ replay: ReplaySummary; exitCode: number; text: string; options: ReplayOptions }> {
  const replayOptions: ReplayOptions = {
    file: eventsFile,
    format: "jsonl",
    batchSize: options.batchSize,
    fromLine,
    url: options.url,
    apiKey: options.apiKey,
    json: false,
    wait: options.wait,
    waitTimeoutMs: options.waitTimeoutMs,
    defaultUrl: options.defaultUrl,
  };
  let text = "";
  const { summary: replay, exitCode } = await runReplay(replayOptions, {
    ...deps,
    stdout: (chunk) => {
      text += chunk;
    },
  });
  return { replay, exitCode, text, options: replayOptions };
}

function summaryOf(
  shop: SimShop,
  options: SimulateOptions,
  parts: {
    readonly promotions: readonly RegisteredPromotion[];
    readonly written: { readonly events: number; readonly bytes: number };
    readonly generateMs: number;
    readonly replay: ReplaySummary;
    readonly eventsFile: string | null;
    readonly next: readonly string[];
    readonly winback?: WinbackSummary;
  },
): SimulateSummary {
  const { replay } = parts;
  const usersByType = countByType(shop);
  const pipeline = replay.pipeline;
  return {
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
    promotions: parts.promotions,
    events: {
      generated: parts.written.events,
      bytes: parts.written.bytes,
      posted: replay.eventsPosted,
      accepted: replay.accepted,
      rejected: replay.rejected.count,
      unparseable: replay.unparseable.count,
      applied: pipeline?.applied ?? null,
      alreadyKnown: pipeline?.alreadyKnown ?? null,
      deadLettered: pipeline?.deadLettered ?? null,
    },
    timing: {
      generateMs: Math.round(parts.generateMs),
      postingMs: replay.postingMs,
      settleMs: pipeline?.settled ? pipeline.settleMs : null,
      elapsedMs: replay.elapsedMs,
      postedPerSecond: replay.eventsPerSecond,
      appliedPerSecond: replay.endToEndEventsPerSecond,
    },
    files: { truth: options.truthFile, events: parts.eventsFile },
    next: parts.next,
    replay,
    ...(parts.winback ? { winback: parts.winback } : {}),
  };
}

async function writeTruth(options: SimulateOptions, rows: Parameters<typeof formatTruthCsv>[0]) {
  await writeFile(options.truthFile, formatTruthCsv(rows)).catch((error: unknown) => {
    throw new LocalModeError(
      `churnwatch simulate: cannot write the truth file ${options.truthFile}: ${(error as Error).message}`,
      1,
    );
  });
}

function temporaryEventsFile(deps: SimulateDeps): string {
  return join(deps.tempDir ?? tmpdir(), `churnwatch-simulate-${process.pid}-${Date.now()}.jsonl`);
}

export async function runSimulate(
  options: SimulateOptions,
  deps: SimulateDeps,
): Promise<{ summary: SimulateSummary; exitCode: number }> {
  const shop = simulateShop({
    users: options.users,
    days: options.days,
    seed: options.seed,
    start: new Date(dayNumberOfKey(options.start) * DAY_MS),
    ...(options.treatment ? { treatmentEffect: options.treatment.effect } : {}),
  });

  // Before anything is written or posted: the server is there, and the sales are its calendar.
  const promotions = await registerPromotions(shop.promotions, {
    url: options.url,
    apiKey: options.apiKey,
    fetch: deps.fetch,
  });
  if (options.treatment) {
    return runWithTreatment(shop, options, options.treatment, promotions, deps);
  }

  await writeTruth(options, shop.truth);

  const eventsFile = options.eventsFile ?? temporaryEventsFile(deps);
  let keepEvents = options.eventsFile !== undefined;
  try {
    const written = await writePhase(shop, (user) => eventsOf(user, shop), eventsFile, deps, false);
    const {
      replay,
      exitCode,
      text,
      options: replayOptions,
    } = await postPhase(options, deps, eventsFile, 1);
    // A stopped run keeps its events so the replay can resume where it stopped.
    if (replay.stopped) keepEvents = true;
    const replayText = text === "" ? describeSummary(replay, replayOptions) : text;

    const summary = summaryOf(shop, options, {
      promotions,
      written,
      generateMs: written.generateMs,
      replay,
      eventsFile: keepEvents ? eventsFile : null,
      next: nextCommands(shop, options.truthFile, options),
    });
    deps.stdout(
      options.json ? `${JSON.stringify(summary, null, 2)}\n` : describe(summary, replayText),
    );
    return { summary, exitCode };
  } finally {
    if (!keepEvents) await rm(eventsFile, { force: true });
  }
}

/** The win-back truth file: next to the truth CSV, `<name>.winback.json`. */
export function winbackTruthFile(truthFile: string): string {
  return `${truthFile.replace(/\.csv$/i, "")}.winback.json`;
}

/** The report command whose uplift interval should cover the true effect. */
export function reportCommand(
  experimentId: string,
  treatment: Pick<TreatmentOptions, "at" | "windowDays">,
  server: { readonly url: string; readonly defaultUrl: boolean },
): string {
  const url = server.defaultUrl ? "" : ` --url ${server.url}`;
  return `npx churnwatch report --experiment ${experimentId} --window-days ${treatment.windowDays} --from ${treatment.at} --to ${treatment.at}${url}`;
}

function phaseCounts(written: { events: number }, replay: ReplaySummary | null): PhaseCounts {
  return {
    generated: written.events,
    accepted: replay?.accepted ?? 0,
    applied: replay?.pipeline?.settled ? replay.pipeline.applied : null,
  };
}

/**
 * The shop with a win-back experiment: contacts for everyone, the events before the treatment
 * day, a scoring run as of it (warnings → plan → assignment → messages), the assignments read
 * back, then the events after it — the treated users' futures with the purchases the treatment
 * caused — and the true effect. See lambdas/domain/simulation/winback.ts.
 */
async function runWithTreatment(
  shop: SimShop,
  options: SimulateOptions,
  treatmentOptions: TreatmentOptions,
  promotions: readonly RegisteredPromotion[],
  deps: SimulateDeps,
): Promise<{ summary: SimulateSummary; exitCode: number }> {
  const asOf = new Date(dayNumberOfKey(treatmentOptions.at) * DAY_MS);
  const asOfMs = asOf.getTime();
  const treatment: WinbackTreatment = {
    effect: treatmentOptions.effect,
    asOf,
    windowDays: treatmentOptions.windowDays,
  };
  const target: TreatmentTarget = {
    url: options.url,
    apiKey: options.apiKey,
    fetch: deps.fetch,
    sleep: deps.sleep,
    now: deps.now,
    ...(deps.signal ? { signal: deps.signal } : {}),
  };
  const note = (text: string) => deps.stderr(`simulate: ${text}\n`);
  if (!options.wait) {
    throw new LocalModeError(
      "churnwatch simulate: a treatment effect needs the pipeline waited for (no --no-wait)",
      2,
    );
  }

  // 1. Everyone can be messaged: e-mail consent, before any warning is planned.
  const contactsStartedAt = deps.now();
  let lastLine = contactsStartedAt;
  const contacts = await putContacts(shop, target, (done) => {
    const now = deps.now();
    if (now - lastLine >= (deps.progressIntervalMs ?? PROGRESS_LINE_MS)) {
      lastLine = now;
      note(`contacts: ${formatCount(done)}/${formatCount(shop.users.length)} users`);
    }
  });
  note(
    `${formatCount(contacts)} contacts with e-mail consent in ${formatDuration(deps.now() - contactsStartedAt)}`,
  );

  const eventsFile = options.eventsFile ?? temporaryEventsFile(deps);
  let keepEvents = options.eventsFile !== undefined;
  try {
    // 2. The shop up to the treatment day, applied before scoring looks at it.
    const before = await writePhase(
      shop,
      (user) => eventsBefore(user, shop, asOfMs),
      eventsFile,
      deps,
      false,
    );
    note(`${formatCount(before.events)} events before ${asOf.toISOString()}: posting`);
    const first = before.events > 0 ? await postPhase(options, deps, eventsFile, 1) : undefined;
    if (
      first &&
      (first.exitCode !== 0 || first.replay.stopped || !first.replay.pipeline?.settled)
    ) {
      deps.stderr(first.text === "" ? describeSummary(first.replay, first.options) : first.text);
      throw new LocalModeError(
        "churnwatch simulate: the events before the treatment day were not all applied, so no scoring run: run the same simulate again (events already applied count as known)",
        Math.max(1, first.exitCode),
      );
    }

    // 3. Scoring as of the treatment day: warnings, plans, assignments, messages.
    note(`scoring as of ${asOf.toISOString()}`);
    const scoring = await scoreAsOf(target, asOf, options.waitTimeoutMs);
    if (!scoring.settled) {
      throw new LocalModeError(
        `churnwatch simulate: the scoring run as of ${asOf.toISOString()} did not settle within --wait-timeout ${Math.round(
          options.waitTimeoutMs / 1000,
        )} s of no progress`,
        1,
      );
    }

    // 4. Who was targeted, in which arm — as the plan step recorded it.
    const assignments = assignmentsOf(await fetchActions(target), asOf);
    const users = new Map(shop.users.map((user) => [user.userId, user]));
    const outcomes: TargetedOutcome[] = [];
    let foreign = 0;
    for (const assignment of assignments.assigned) {
      const user = users.get(assignment.userId);
      if (user) outcomes.push(targetedOutcome(user, shop, assignment, treatment));
      else foreign += 1;
    }
    const truth = winbackTruth(outcomes, treatment);
    await writeTruth(options, treatedTruth(shop, outcomes));

    // 5. The shop after the treatment day: natural futures, plus what the treatment caused.
    const byUser = new Map(outcomes.map((outcome) => [outcome.userId, outcome]));
    const after = await writePhase(
      shop,
      (user) => eventsFrom(user, shop, asOfMs, byUser.get(user.userId)),
      eventsFile,
      deps,
      true,
    );
    note(`${formatCount(after.events)} events from ${asOf.toISOString()} on: posting`);
    const second =
      after.events > 0 ? await postPhase(options, deps, eventsFile, before.events + 1) : undefined;
    const last = second ?? first;
    if (!last) {
      throw new LocalModeError("churnwatch simulate: the shop has no events to post", 1);
    }
    if (last.replay.stopped) keepEvents = true;
    const replay = first && second ? combineReplays(first.replay, second.replay) : last.replay;
    const replayText =
      (first?.text ?? "") +
      (second ? second.text || describeSummary(second.replay, second.options) : "");

    const startDay = dayNumberOfKey(shop.start);
    const windowAfter = Math.floor(asOfMs / DAY_MS) - startDay;
    const reportCommands = (
      truth.experiments.length > 0
        ? truth.experiments.map((experiment) => experiment.experimentId)
        : [DEFAULT_EXPERIMENT.id]
    ).map((id) => reportCommand(id, treatmentOptions, options));
    const controlCount = assignments.assigned.filter((a) => a.group === "control").length;
    const winback: WinbackSummary = {
      effect: treatment.effect,
      treatmentDay: treatmentOptions.at,
      asOf: asOf.toISOString(),
      windowDays: treatment.windowDays,
      window: {
        from: dayKey(startDay + windowAfter + 1),
        to: dayKey(startDay + windowAfter + treatment.windowDays),
      },
      contacts,
      scoring,
      actions: {
        targeted: assignments.assigned.length,
        control: controlCount,
        outcomes: assignments.outcomes,
        noAction: assignments.noAction,
        unassigned: assignments.unassigned,
        foreign,
        otherRunsThatDay: assignments.otherRunsThatDay,
      },
      truth,
      phases: {
        beforeTreatment: phaseCounts(before, first?.replay ?? null),
        afterTreatment: phaseCounts(after, second?.replay ?? null),
      },
      reportCommands,
      file: treatmentOptions.truthJson,
    };
    // The file adds each targeted user's truth, so any one of them can be checked.
    const perUser = outcomes.map((outcome) => ({
      userId: outcome.userId,
      experimentId: outcome.experimentId,
      arm: outcome.arm,
      naturalWinback: outcome.naturalWinback,
      responds: outcome.responds,
      treatmentDate: outcome.treatmentDay === null ? null : dayKey(startDay + outcome.treatmentDay),
    }));
    const fileText = `${JSON.stringify({ ...winback, targetedUsers: perUser }, null, 2)}\n`;
    await writeFile(treatmentOptions.truthJson, fileText).catch((error: unknown) => {
      throw new LocalModeError(
        `churnwatch simulate: cannot write the win-back truth ${treatmentOptions.truthJson}: ${(error as Error).message}`,
        1,
      );
    });

    const summary = summaryOf(shop, options, {
      promotions,
      written: { events: before.events + after.events, bytes: before.bytes + after.bytes },
      generateMs: before.generateMs + after.generateMs,
      replay,
      eventsFile: keepEvents ? eventsFile : null,
      next: [...reportCommands, ...nextCommands(shop, options.truthFile, options)],
      winback,
    });
    deps.stdout(
      options.json ? `${JSON.stringify(summary, null, 2)}\n` : describe(summary, replayText),
    );
    return { summary, exitCode: last.exitCode };
  } finally {
    if (!keepEvents) await rm(eventsFile, { force: true });
  }
}
