/**
 * What `churnwatch simulate --treatment-effect` tells about its win-back experiment: the summary
 * (printed, in --json and in the win-back truth file next to the truth CSV), its text, and the
 * two postings (before and after the treatment day) added up into one replay summary.
 */
import type { WinbackTruth } from "../../lambdas/domain/simulation/winback.js";
import { formatCount } from "../replay/progress.js";
import type { ReasonCount, ReplaySummary } from "../replay/run-replay.js";

export interface PhaseCounts {
  readonly generated: number;
  readonly accepted: number;
  /** Stored as new by the pipeline; null when it did not settle. */
  readonly applied: number | null;
}

export interface WinbackSummary {
  /** E. */
  readonly effect: number;
  /** The treatment day: scoring ran as of its midnight UTC. */
  readonly treatmentDay: string;
  readonly asOf: string;
  readonly windowDays: number;
  /** The window's days for users in the shop's zones (all ahead of UTC): first and last. */
  readonly window: { readonly from: string; readonly to: string };
  /** Users given a contact record with e-mail consent. */
  readonly contacts: number;
  readonly scoring: { readonly run: unknown; readonly settled: boolean };
  readonly actions: {
    readonly targeted: number;
    readonly control: number;
    /** Targeted users' action outcomes (published, escalated, suppressed, control). */
    readonly outcomes: Readonly<Record<string, number>>;
    readonly noAction: number;
    readonly unassigned: number;
    /** Targeted users who are not users of this shop (another simulation or client): no effect. */
    readonly foreign: number;
    /** Actions of other runs on the treatment day: the report counts them too. */
    readonly otherRunsThatDay: number;
  };
  readonly truth: WinbackTruth;
  readonly phases: { readonly beforeTreatment: PhaseCounts; readonly afterTreatment: PhaseCounts };
  /** The report command per experiment: its variants' intervals should cover the true uplift. */
  readonly reportCommands: readonly string[];
  /** The win-back truth file: this summary as JSON, and `targetedUsers` (each one's truth). */
  readonly file: string;
}

const percent = (value: number | null) => (value === null ? "–" : `${(value * 100).toFixed(1)} %`);
const points = (value: number | null) =>
  value === null ? "–" : `${value >= 0 ? "+" : ""}${(value * 100).toFixed(1)} pp`;

/** The summary's lines for the text output, indented like the rest of simulate's summary. */
export function describeWinback(winback: WinbackSummary): string[] {
  const lines: string[] = [];
  const { actions } = winback;
  const outcomes = Object.entries(actions.outcomes)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([outcome, count]) => `${formatCount(count)} ${outcome}`)
    .join(", ");
  lines.push(
    `  contacts     ${formatCount(winback.contacts)} users with e-mail consent, in their own time zones (quiet hours may defer a message; it still counts)`,
  );
  lines.push(
    `  scoring      as of ${winback.asOf}: ${formatCount(actions.targeted)} users targeted (${outcomes || "none"}), ${formatCount(
      actions.noAction,
    )} warned without action`,
  );
  if (actions.unassigned + actions.foreign + actions.otherRunsThatDay > 0) {
    lines.push(
      `  note         ${formatCount(actions.unassigned)} action(s) outside an experiment arm, ${formatCount(
        actions.foreign,
      )} of users not in this shop, ${formatCount(actions.otherRunsThatDay)} of other runs that day: no treatment effect simulated for them`,
    );
  }
  lines.push(
    `  treatment    E = ${winback.effect} for every user assigned to a variant (intention to treat); win-back window ${
      winback.windowDays
    } days, ${winback.window.from} to ${winback.window.to}`,
  );
  for (const experiment of winback.truth.experiments) {
    lines.push(
      `  experiment ${experiment.experimentId}: ${formatCount(experiment.targeted)} targeted, natural win-back rate p0 ${percent(
        experiment.naturalWinbackRate,
      )}`,
    );
    lines.push(
      `    TRUE uplift E × (1 − p0) = ${points(experiment.trueUplift)}: the report's 95 % interval for a variant should cover this`,
    );
    const arms = [...(experiment.control ? [experiment.control] : []), ...experiment.variants];
    lines.push(
      `    realised     ${arms
        .map(
          (arm) =>
            `${arm.arm} ${formatCount(arm.wonBack)}/${formatCount(arm.targeted)} won back (${percent(arm.rate)})`,
        )
        .join(", ")}`,
    );
    const realised = Object.entries(experiment.realisedUplift)
      .map(([arm, uplift]) => `${arm} ${points(uplift)}`)
      .join(", ");
    lines.push(
      `    uplift       ${realised || "– (no control users)"} (the report's point estimate), the sample's own effect ${points(
        experiment.sampleUplift,
      )}; ${formatCount(
        experiment.variants.reduce((sum, arm) => sum + arm.treatmentPurchases, 0),
      )} purchases added by the treatment`,
    );
  }
  lines.push(`  win-back     ${winback.file}`);
  return lines;
}

function mergeReasons(a: readonly ReasonCount[], b: readonly ReasonCount[]): ReasonCount[] {
  const merged = new Map<string, ReasonCount>();
  for (const entry of [...a, ...b]) {
    const earlier = merged.get(entry.reason);
    merged.set(
      entry.reason,
      earlier
        ? {
            ...earlier,
            count: earlier.count + entry.count,
            lines: [...earlier.lines, ...entry.lines].slice(0, 5),
          }
        : entry,
    );
  }
  return [...merged.values()].sort((x, y) => y.count - x.count || x.reason.localeCompare(y.reason));
}

/** Two postings of one file (the second resuming after the first) as one replay summary. */
export function combineReplays(first: ReplaySummary, second: ReplaySummary): ReplaySummary {
  const retries: Record<string, number> = { ...first.retries };
  for (const [key, count] of Object.entries(second.retries)) {
    retries[key] = (retries[key] ?? 0) + count;
  }
  const a = first.pipeline;
  const b = second.pipeline;
  const pipeline =
    a && b
      ? {
          settled: a.settled && b.settled,
          settleMs: a.settleMs + b.settleMs,
          applied: a.applied + b.applied,
          alreadyKnown:
            a.alreadyKnown !== null && b.alreadyKnown !== null
              ? a.alreadyKnown + b.alreadyKnown
              : null,
          deadLettered: a.deadLettered + b.deadLettered,
        }
      : (b ?? a);
  const accepted = first.accepted + second.accepted;
  const eventsPosted = first.eventsPosted + second.eventsPosted;
  const postingMs = first.postingMs + second.postingMs;
  const elapsedMs = first.elapsedMs + second.elapsedMs;
  const rejected = first.rejected.count + second.rejected.count;
  const unparseable = first.unparseable.count + second.unparseable.count;
  return {
    ...second,
    fromLine: first.fromLine,
    linesRead: first.linesRead + second.linesRead,
    eventsPosted,
    derivedEventIds: first.derivedEventIds + second.derivedEventIds,
    batches: first.batches + second.batches,
    accepted,
    duplicatesInBatch: first.duplicatesInBatch + second.duplicatesInBatch,
    duplicates:
      first.duplicates !== null && second.duplicates !== null
        ? first.duplicates + second.duplicates
        : null,
    rejected: {
      count: rejected,
      reasons: mergeReasons(first.rejected.reasons, second.rejected.reasons),
    },
    unparseable: {
      count: unparseable,
      reasons: mergeReasons(first.unparseable.reasons, second.unparseable.reasons),
    },
    retries,
    postingMs,
    elapsedMs,
    eventsPerSecond: postingMs > 0 ? Math.round((eventsPosted * 1000) / postingMs) : 0,
    endToEndEventsPerSecond:
      pipeline?.settled && elapsedMs > 0 ? Math.round((accepted * 1000) / elapsedMs) : null,
    pipeline,
  };
}
