/**
 * Training the churn classifier from labelled feature vectors: logistic regression and boosted
 * trees each learn on one part and are Platt-scaled and judged on the held-out part; the one
 * with the better held-out AUC is learned again on every row with its calibration kept. The
 * held-out metrics describe the part model; the refit uses all the data the calibration has
 * already been judged on, which is the usual trade for small samples.
 *
 * Trees must beat the regression by MIN_AUC_GAIN to be chosen: a regression's reasons are
 * simpler to read and it extrapolates more gently, so it wins when the two are level. On a
 * purchase history with no interactions to find (CDNOW) the regression wins; on a shop whose
 * users' rhythms differ (the simulated one) the trees do.
 */
import { auc } from "../evaluation/auc.js";
import { type ChurnModelArtefact, parseChurnModelArtefact } from "./artefacts.js";
import { type BoostedTreesOptions, boostedTreesLogit, fitBoostedTrees } from "./boosted-trees.js";
import {
  brierScore,
  calibrate,
  fitPlatt,
  logLoss,
  type PlattCalibration,
  reliabilityBins,
} from "./calibration.js";
import { CHURN_FEATURE_NAMES } from "./feature-vector.js";
import { fitLogistic, type LogisticModel, logisticLogit } from "./logistic.js";

export const MIN_TRAINING_ROWS = 20;

export const CHURN_ALGORITHMS = ["logistic", "boosted-trees"] as const;
export type ChurnAlgorithm = (typeof CHURN_ALGORITHMS)[number];

/**
 * The regression's penalties tried when none is given, a decade apart: a few thousand users of
 * a purchase history want a strong pull towards zero, a large shop with rich signals a weak one.
 */
export const L2_GRID: readonly number[] = Object.freeze([0.1, 1, 10, 100, 1000]);
/** The penalty kept unless another is clearly better on the held-out users. */
export const DEFAULT_L2 = 1;

/**
 * How much higher a candidate's held-out AUC must be for it to replace the default (the
 * regression with DEFAULT_L2): smaller differences are the noise of one split.
 */
export const MIN_AUC_GAIN = 0.002;

/** The trees' settings: common defaults (XGBoost's depth, scikit-learn's rounds and rate). */
const TREE_DEFAULTS = { rounds: 100, learningRate: 0.1, maxDepth: 3, minLeafRows: 20, l2: 1 };

export interface TrainingRow {
  /** Stable row identity (the user key): it decides the validation split. */
  readonly id: string;
  readonly vector: Float64Array | readonly number[];
  /** True = churned in the horizon. */
  readonly label: boolean;
  /** Row weight, default 1. */
  readonly weight?: number;
}

export interface TrainOptions {
  readonly asOf: Date | string;
  readonly horizonDays: number;
  readonly label: "activity" | "purchase";
  /**
   * Penalty on the regression's standardised weights. Left out, each of L2_GRID is tried and the
   * one with the best held-out AUC is kept.
   */
  readonly l2?: number;
  /** Share of each class held out for calibration and metrics; default 0.25. */
  readonly validationShare?: number;
  /** Default CHURN_FEATURE_NAMES; every vector must have this many values. */
  readonly featureNames?: readonly string[];
  /** The BTYD artefact version whose signals are in the vectors; default null. */
  readonly btydVersion?: number | null;
  /** `auto` (default) tries both and keeps the better on the held-out rows. */
  readonly algorithm?: ChurnAlgorithm | "auto";
  /** Overrides of the trees' settings (rounds, learning rate, depth, leaf size, λ). */
  readonly trees?: Omit<BoostedTreesOptions, "weights" | "maxCuts">;
}

/** FNV-1a over the UTF-16 code units: a fixed, platform-independent hash of the id. */
function hashId(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Per class, the rows with the lowest id hashes go to validation. Stratified, so both parts
 * hold both classes however rare churn is; by hash, so the same rows land in the same part on
 * every run and no random seed has to be stored.
 */
function splitByHash(rows: readonly TrainingRow[], share: number): boolean[] {
  const validation = new Array<boolean>(rows.length).fill(false);
  for (const cls of [true, false]) {
    const members = rows
      .map((row, index) => ({ index, id: row.id, hash: hashId(row.id) }))
      .filter(({ index }) => (rows[index] as TrainingRow).label === cls)
      .sort((p, q) => p.hash - q.hash || (p.id < q.id ? -1 : p.id > q.id ? 1 : p.index - q.index));
    const take = Math.min(Math.max(Math.round(share * members.length), 1), members.length - 1);
    for (let k = 0; k < take; k++) validation[(members[k] as { index: number }).index] = true;
  }
  return validation;
}

function fitPart(rows: readonly TrainingRow[], l2: number): LogisticModel {
  return fitLogistic(
    rows.map((row) => row.vector),
    rows.map((row) => row.label),
    { l2, weights: rows.map((row) => row.weight ?? 1) },
  );
}

/** One algorithm's fit on some rows, as what the artefact stores plus a logit to judge it. */
interface Fitted {
  readonly logit: (vector: ArrayLike<number>) => number;
  readonly fields: Record<string, unknown>;
  readonly converged: boolean;
  readonly iterations: number;
}

function fitAlgorithm(
  algorithm: ChurnAlgorithm,
  rows: readonly TrainingRow[],
  l2: number,
  trees: Required<Omit<BoostedTreesOptions, "weights" | "maxCuts">>,
): Fitted {
  if (algorithm === "logistic") {
    const model = fitPart(rows, l2);
    return {
      logit: (vector) => logisticLogit(model, vector),
      fields: {
        algorithm,
        mean: Array.from(model.mean),
        scale: Array.from(model.scale),
        weights: Array.from(model.weights),
        intercept: model.intercept,
        l2,
      },
      converged: model.converged,
      iterations: model.iterations,
    };
  }
  const model = fitBoostedTrees(
    rows.map((row) => row.vector),
    rows.map((row) => row.label),
    { ...trees, weights: rows.map((row) => row.weight ?? 1) },
  );
  return {
    logit: (vector) => boostedTreesLogit(model, vector),
    fields: {
      algorithm,
      baseLogit: model.baseLogit,
      trees: model.trees,
      learningRate: trees.learningRate,
      maxDepth: trees.maxDepth,
      l2: trees.l2,
    },
    converged: true,
    iterations: trees.rounds,
  };
}

/** A part model judged on the held-out rows, with the calibration learned there. */
interface Candidate {
  readonly algorithm: ChurnAlgorithm;
  /** The regression's penalty; the trees' own λ is in their settings. */
  readonly l2: number;
  readonly part: Fitted;
  readonly calibration: PlattCalibration;
  readonly trainLogits: number[];
  readonly validationLogits: number[];
  readonly validationProbabilities: number[];
  readonly validationAuc: number | null;
  readonly logLoss: number;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** `challenger` when its held-out AUC beats `incumbent`'s by MIN_AUC_GAIN, else `incumbent`. */
function better(incumbent: Candidate, challenger: Candidate | undefined): Candidate {
  if (!challenger) return incumbent;
  const gain = (challenger.validationAuc ?? 0) - (incumbent.validationAuc ?? 0);
  return gain >= MIN_AUC_GAIN ? challenger : incumbent;
}

/**
 * The regression with DEFAULT_L2 unless another penalty beats it clearly, then the trees if they
 * beat that clearly: each step away from the default has to earn MIN_AUC_GAIN on held-out users.
 */
function chooseCandidate(candidates: readonly Candidate[]): Candidate {
  const regressions = candidates.filter((c) => c.algorithm === "logistic");
  const trees = candidates.find((c) => c.algorithm === "boosted-trees");
  const incumbent = regressions.find((c) => c.l2 === DEFAULT_L2) ?? regressions[0];
  if (!incumbent) return trees as Candidate;
  let bestRegression: Candidate | undefined;
  for (const candidate of regressions) {
    if (candidate === incumbent) continue;
    if (!bestRegression || (candidate.validationAuc ?? 0) > (bestRegression.validationAuc ?? 0)) {
      bestRegression = candidate;
    }
  }
  return better(better(incumbent, bestRegression), trees);
}

/**
 * Trains and returns the artefact without a version (the model store assigns it). Throws a
 * RangeError for fewer than MIN_TRAINING_ROWS rows, a single class, fewer than two rows of a
 * class, or vectors that do not match the feature names.
 */
export function trainChurnModel(
  rows: readonly TrainingRow[],
  options: TrainOptions,
): ChurnModelArtefact {
  const featureNames = options.featureNames ?? CHURN_FEATURE_NAMES;
  const share = options.validationShare ?? 0.25;
  if (!(share > 0 && share < 1)) {
    throw new RangeError(`validationShare must be between 0 and 1 (exclusive), got ${share}`);
  }
  if (!(Number.isInteger(options.horizonDays) && options.horizonDays >= 1)) {
    throw new RangeError(`horizonDays must be a positive whole number, got ${options.horizonDays}`);
  }
  if (Number.isNaN(new Date(options.asOf).getTime())) {
    throw new RangeError(`asOf is not a valid date: ${String(options.asOf)}`);
  }
  if (rows.length < MIN_TRAINING_ROWS) {
    throw new RangeError(
      `training needs at least ${MIN_TRAINING_ROWS} labelled rows, got ${rows.length}`,
    );
  }
  let positives = 0;
  for (const [index, row] of rows.entries()) {
    if (row.vector.length !== featureNames.length) {
      throw new RangeError(
        `row ${index} (${row.id}) has ${row.vector.length} features, expected ${featureNames.length}`,
      );
    }
    if (row.label) positives += 1;
  }
  const negatives = rows.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new RangeError(
      `training needs both churned and retained rows, got ${positives} churned and ${negatives} retained`,
    );
  }
  if (positives < 2 || negatives < 2) {
    throw new RangeError(
      `training needs at least 2 rows of each class to hold one out, got ${positives} churned and ${negatives} retained`,
    );
  }

  const inValidation = splitByHash(rows, share);
  const trainRows = rows.filter((_, i) => !inValidation[i]);
  const validationRows = rows.filter((_, i) => inValidation[i]);

  const validationLabels = validationRows.map((row) => row.label);
  const requested = options.algorithm ?? "auto";
  if (requested !== "auto" && !CHURN_ALGORITHMS.includes(requested)) {
    throw new RangeError(
      `algorithm must be auto, ${CHURN_ALGORITHMS.join(" or ")}, got ${String(requested)}`,
    );
  }
  const algorithms: readonly ChurnAlgorithm[] =
    requested === "auto" ? CHURN_ALGORITHMS : [requested];
  const treeSettings = { ...TREE_DEFAULTS, ...options.trees };
  const penalties = options.l2 === undefined ? L2_GRID : [options.l2];
  const tries: { algorithm: ChurnAlgorithm; l2: number }[] = [];
  for (const algorithm of algorithms) {
    if (algorithm === "logistic") for (const l2 of penalties) tries.push({ algorithm, l2 });
    else tries.push({ algorithm, l2: treeSettings.l2 });
  }
  const candidates: Candidate[] = tries.map(({ algorithm, l2 }) => {
    const part = fitAlgorithm(algorithm, trainRows, l2, treeSettings);
    const validationLogits = validationRows.map((row) => part.logit(row.vector));
    const calibration = fitPlatt(validationLogits, validationLabels);
    const validationProbabilities = validationLogits.map((logit) => calibrate(calibration, logit));
    return {
      algorithm,
      l2,
      part,
      calibration,
      trainLogits: trainRows.map((row) => part.logit(row.vector)),
      validationLogits,
      validationProbabilities,
      validationAuc: finiteOrNull(auc(validationLogits, validationLabels)),
      logLoss: logLoss(validationProbabilities, validationLabels),
    };
  });
  const chosen = chooseCandidate(candidates);
  const { calibration, trainLogits, validationLogits, validationProbabilities } = chosen;
  const model = fitAlgorithm(chosen.algorithm, rows, chosen.l2, treeSettings);

  return parseChurnModelArtefact({
    kind: "churn",
    asOf: new Date(options.asOf).toISOString(),
    horizonDays: options.horizonDays,
    label: options.label,
    featureNames: [...featureNames],
    ...model.fields,
    calibration: { a: calibration.a, b: calibration.b },
    metrics: {
      rows: rows.length,
      positives,
      validationRows: validationRows.length,
      trainAuc: finiteOrNull(
        auc(
          trainLogits,
          trainRows.map((row) => row.label),
        ),
      ),
      validationAuc: finiteOrNull(auc(validationLogits, validationLabels)),
      brier: brierScore(validationProbabilities, validationLabels),
      logLoss: logLoss(validationProbabilities, validationLabels),
      reliability: reliabilityBins(validationProbabilities, validationLabels),
      converged: chosen.part.converged && model.converged,
      iterations: model.iterations,
      candidates: candidates.map((candidate) => ({
        algorithm: candidate.algorithm,
        ...(candidate.algorithm === "logistic" ? { l2: candidate.l2 } : {}),
        validationAuc: candidate.validationAuc,
        logLoss: candidate.logLoss,
      })),
    },
    btydVersion: options.btydVersion ?? null,
  });
}
