/**
 * Fitting, training and evaluating on the store's own users: `churnwatch fit`, `train` and
 * `evaluate` run these (in local mode through its admin routes). Every user is read as of the
 * date in question (lambdas/domain/as-of.ts), so a model trained or evaluated on a past date
 * after a replay of history never sees what came after it.
 */
import { featuresAsOf, isChurnLabel } from "../domain/as-of.js";
import { btydInputs } from "../domain/btyd.js";
import { dayKey, dayNumberOfKey } from "../domain/calendar.js";
import { type BtydFitReport, fitBtydArtefact } from "../domain/churn-model/btyd-artefact.js";
import {
  type ChurnAlgorithm,
  type TrainingRow,
  trainChurnModel,
} from "../domain/churn-model/train.js";
import { churnVectorOf } from "../domain/churn-model/user-vector.js";
import type { UserFeatures, UserProfile } from "../domain/features.js";
import type { Customer, SpendRow } from "../domain/models/index.js";
import type { ScoringOptions } from "../domain/risk.js";
import type { ModelStore } from "../model-ports.js";
import type { AppProfiles } from "../ports.js";
import { loadScoringModels } from "./load-scoring-models.js";

/** Refused input or a result that must not be published: the message says which and why. */
export class WorkbenchError extends Error {
  override readonly name = "WorkbenchError";
}

const DAY_MS = 86_400_000;
/** Fewer purchasers than this and a population model is noise. */
export const MIN_BTYD_CUSTOMERS = 30;

/** The last instant of a calendar date in UTC: "as of 1997-09-30" includes that day. */
export function endOfDay(date: string): Date {
  const day = dayNumberOfKey(date);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !Number.isFinite(day) || dayKey(day) !== date) {
    throw new WorkbenchError(`"${date}" is not a date YYYY-MM-DD`);
  }
  return new Date((day + 1) * DAY_MS - 1);
}

async function collect(
  source: AppProfiles,
  appId: string,
  keep: (profile: UserProfile) => boolean,
): Promise<UserProfile[]> {
  const kept: UserProfile[] = [];
  for await (const page of source.profilesOf(appId)) {
    for (const profile of page) if (keep(profile)) kept.push(profile);
  }
  return kept;
}

function withPrefix(prefix: string | undefined) {
  return (profile: UserProfile) =>
    typeof profile.lastSeenAt === "string" &&
    (prefix === undefined || profile.userId.startsWith(prefix));
}

/** Mean value of a user's repeat purchase-days up to `lastDay`, where the day buckets hold it. */
function spendRow(features: UserFeatures, lastDay: number): SpendRow | undefined {
  const days = features.purchaseDays.filter((day) => day <= lastDay);
  if (days.length < 2) return undefined;
  let total = 0;
  for (const day of days.slice(1)) {
    const bucket = features.days[dayKey(day)];
    // Compacted into a month: the per-purchase value is gone, leave the user out of spend.
    if (!bucket) return undefined;
    total += bucket.revenueMinor ?? 0;
  }
  return { x: days.length - 1, zbar: total / 100 / (days.length - 1) };
}

export interface FitOutcome {
  readonly status: "published" | "not-converged";
  readonly version?: number;
  readonly calibrationEnd: string;
  readonly customers: number;
  readonly spendCustomers: number;
  readonly report: BtydFitReport;
  /** The fitted parameters per model, whether or not they were published. */
  readonly params: Readonly<Record<"bgNbd" | "mbgNbd" | "paretoNbd" | "gammaGamma", unknown>>;
}

/**
 * Fits BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma on the app's purchasers up to
 * `calibrationEnd` and publishes them as the next `btyd` version — unless a fit did not
 * converge: then the previous version stays current.
 */
export async function fitBtydOnStore(
  appId: string,
  query: { calibrationEnd: string; userPrefix?: string },
  deps: { profiles: AppProfiles; models: ModelStore },
): Promise<FitOutcome> {
  const lastDay = dayNumberOfKey(query.calibrationEnd);
  endOfDay(query.calibrationEnd);
  const profiles = await collect(deps.profiles, appId, withPrefix(query.userPrefix));
  const rows: Customer[] = [];
  const spend: SpendRow[] = [];
  for (const profile of profiles) {
    const inputs = btydInputs(profile, lastDay);
    if (!inputs) continue;
    rows.push({ x: inputs.x, tx: inputs.tx, T: inputs.T });
    const row = spendRow(profile, lastDay);
    if (row) spend.push(row);
  }
  if (rows.length < MIN_BTYD_CUSTOMERS) {
    throw new WorkbenchError(
      `only ${rows.length} users purchased on or before ${query.calibrationEnd}; the models need at least ${MIN_BTYD_CUSTOMERS}`,
    );
  }
  const fit = fitBtydArtefact(rows, query.calibrationEnd, spend.length >= 10 ? spend : undefined);
  const base = {
    calibrationEnd: query.calibrationEnd,
    customers: rows.length,
    spendCustomers: spend.length,
    report: fit.report,
    params: {
      bgNbd: fit.artefact.bgNbd.params,
      mbgNbd: fit.artefact.mbgNbd.params,
      paretoNbd: fit.artefact.paretoNbd.params,
      gammaGamma: fit.artefact.gammaGamma?.params ?? null,
    },
  };
  if (!fit.converged) return { status: "not-converged", ...base };
  const { version } = await deps.models.publish(appId, "btyd", fit.artefact, {
    calibrationEnd: query.calibrationEnd,
    customers: rows.length,
    bgNbdLogLikelihood: fit.report.bgNbd.logLikelihood,
  });
  return { status: "published", version, ...base };
}

export interface TrainOutcome {
  readonly version: number;
  readonly asOf: string;
  readonly horizonDays: number;
  readonly label: "activity" | "purchase";
  /** Which algorithm training kept (see trainChurnModel). */
  readonly algorithm: ChurnAlgorithm;
  readonly rows: number;
  readonly churned: number;
  readonly btydVersion: number | null;
  readonly metrics: Record<string, unknown>;
}

/**
 * Learns P(no activity, or no purchase, in the `horizonDays` after `asOf`) from every user
 * seen by `asOf`, with the same vector the score function builds, and publishes it as the next
 * `churn` version. Refuses a horizon that ends after the newest event in the store: its
 * labels would count users as churned who simply had no time to come back yet.
 */
export async function trainOnStore(
  appId: string,
  query: {
    asOf: string;
    horizonDays: number;
    label: "activity" | "purchase";
    userPrefix?: string;
    l2?: number;
    /** Also learn from the same users as of earlier days, one horizon apart (default 1: none). */
    snapshots?: number;
    /** Default auto: the better of the two on held-out users. */
    algorithm?: ChurnAlgorithm | "auto";
  },
  deps: { profiles: AppProfiles; models: ModelStore; scoring: ScoringOptions },
): Promise<TrainOutcome> {
  const snapshots = query.snapshots ?? 1;
  if (!(Number.isInteger(snapshots) && snapshots >= 1 && snapshots <= 24)) {
    throw new WorkbenchError(`snapshots must be 1–24, got ${snapshots}`);
  }
  if (
    !(Number.isInteger(query.horizonDays) && query.horizonDays >= 1 && query.horizonDays <= 730)
  ) {
    throw new WorkbenchError(`horizon must be 1–730 days, got ${query.horizonDays}`);
  }
  const asOf = endOfDay(query.asOf);
  const profiles = await collect(deps.profiles, appId, withPrefix(query.userPrefix));
  const newest = profiles.reduce((max, p) => (p.lastSeenAt > max ? p.lastSeenAt : max), "");
  const horizonEnd = new Date(asOf.getTime() + query.horizonDays * DAY_MS);
  if (newest === "" || Date.parse(newest) < horizonEnd.getTime() - DAY_MS) {
    throw new WorkbenchError(
      `the horizon ends ${horizonEnd.toISOString().slice(0, 10)} but the newest event in the store is ${newest.slice(0, 10) || "none"}: labels would be incomplete — train as of an earlier date or with a shorter horizon`,
    );
  }
  const models = await loadScoringModels(deps.models, appId);
  const btyd = models.btyd;
  const rows: TrainingRow[] = [];
  for (let snapshot = 0; snapshot < snapshots; snapshot += 1) {
    // Label windows one horizon apart do not overlap: each row's outcome is its own.
    const at = new Date(asOf.getTime() - snapshot * query.horizonDays * DAY_MS);
    for (const profile of profiles) {
      const view = featuresAsOf(profile, at);
      if (!view) continue;
      rows.push({
        // The user, not the snapshot, decides the validation side: no user is on both.
        id: profile.userId,
        vector: churnVectorOf(view, at, {
          ...(btyd ? { btyd: btyd.artefact } : {}),
          horizonDays: query.horizonDays,
          rules: deps.scoring.rules,
          ...(deps.scoring.indicators ? { indicatorOptions: deps.scoring.indicators } : {}),
        }),
        label: isChurnLabel(profile, at, query.horizonDays, query.label),
      });
    }
  }
  let artefact: ReturnType<typeof trainChurnModel>;
  try {
    artefact = trainChurnModel(rows, {
      asOf,
      horizonDays: query.horizonDays,
      label: query.label,
      btydVersion: btyd?.version ?? null,
      ...(query.l2 !== undefined ? { l2: query.l2 } : {}),
      ...(query.algorithm !== undefined ? { algorithm: query.algorithm } : {}),
    });
  } catch (error) {
    if (error instanceof RangeError) throw new WorkbenchError(error.message);
    throw error;
  }
  const churned = rows.filter((row) => row.label).length;
  const { version } = await deps.models.publish(appId, "churn", artefact, {
    asOf: query.asOf,
    horizonDays: query.horizonDays,
    label: query.label,
    algorithm: artefact.algorithm,
    rows: rows.length,
    snapshots,
    churned,
    validationAuc: artefact.metrics.validationAuc,
  });
  return {
    version,
    asOf: query.asOf,
    horizonDays: query.horizonDays,
    label: query.label,
    algorithm: artefact.algorithm,
    rows: rows.length,
    churned,
    btydVersion: btyd?.version ?? null,
    metrics: artefact.metrics as unknown as Record<string, unknown>,
  };
}
