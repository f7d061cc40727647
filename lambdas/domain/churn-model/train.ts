/**
 * Training the churn classifier from labelled feature vectors: logistic regression on one part,
 * Platt scaling on the held-out part, then the regression again on every row with the
 * calibration kept. The held-out metrics describe the first model; the refit uses all the data
 * the calibration has already been judged on, which is the usual trade for small samples.
 */
import { auc } from "../evaluation/auc.js";
import { type ChurnModelArtefact, parseChurnModelArtefact } from "./artefacts.js";
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
  /** Penalty on the standardised weights; default 1. */
  readonly l2?: number;
  /** Share of each class held out for calibration and metrics; default 0.25. */
  readonly validationShare?: number;
  /** Default CHURN_FEATURE_NAMES; every vector must have this many values. */
  readonly featureNames?: readonly string[];
  /** The BTYD artefact version whose signals are in the vectors; default null. */
  readonly btydVersion?: number | null;
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

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
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
  const l2 = options.l2 ?? 1;
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

  const partModel = fitPart(trainRows, l2);
  const trainLogits = trainRows.map((row) => logisticLogit(partModel, row.vector));
  const validationLogits = validationRows.map((row) => logisticLogit(partModel, row.vector));
  const validationLabels = validationRows.map((row) => row.label);
  const calibration: PlattCalibration = fitPlatt(validationLogits, validationLabels);
  const validationProbabilities = validationLogits.map((logit) => calibrate(calibration, logit));

  const model = fitPart(rows, l2);

  return parseChurnModelArtefact({
    kind: "churn-lr",
    asOf: new Date(options.asOf).toISOString(),
    horizonDays: options.horizonDays,
    label: options.label,
    featureNames: [...featureNames],
    mean: Array.from(model.mean),
    scale: Array.from(model.scale),
    weights: Array.from(model.weights),
    intercept: model.intercept,
    l2,
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
      converged: partModel.converged && model.converged,
      iterations: model.iterations,
    },
    btydVersion: options.btydVersion ?? null,
  });
}
