/**
 * Scoring with a trained churn model, logistic regression or boosted trees. For the regression
 * the standardisation is folded into the coefficients once per model (logit = offset + Σ c_i x_i),
 * cached per artefact object, so a scoring run pays one multiply-add per feature per user; trees
 * cost one comparison per level per tree.
 */
import type {
  BoostedTreesChurnModel,
  ChurnModelArtefact,
  LogisticChurnModel,
} from "./artefacts.js";
import {
  type BoostedTrees,
  boostedTreesContributions,
  boostedTreesLogit,
} from "./boosted-trees.js";
import { calibrate } from "./calibration.js";

export interface Contribution {
  readonly feature: string;
  /**
   * How far this feature moves the logit: w_i · z_i for the regression; for trees, the changes of
   * value at the splits on this feature along the user's paths.
   */
  readonly value: number;
}

export interface ChurnPrediction {
  /** Calibrated P(churn in the model's horizon). */
  readonly probability: number;
  /** The logit before calibration: the model's bias + Σ contributions. */
  readonly logit: number;
  /** Sorted by descending value: the features pushing most towards churn first. */
  readonly contributions: readonly Contribution[];
}

interface Compiled {
  readonly coefficients: Float64Array;
  readonly offset: number;
}

const compiled = new WeakMap<LogisticChurnModel, Compiled>();

function compile(model: LogisticChurnModel): Compiled {
  let entry = compiled.get(model);
  if (!entry) {
    const n = model.featureNames.length;
    const coefficients = new Float64Array(n);
    let offset = model.intercept;
    for (let i = 0; i < n; i++) {
      const c = (model.weights[i] as number) / (model.scale[i] as number);
      coefficients[i] = c;
      offset -= c * (model.mean[i] as number);
    }
    entry = { coefficients, offset };
    compiled.set(model, entry);
  }
  return entry;
}

function checkLength(model: ChurnModelArtefact, vector: ArrayLike<number>): void {
  if (vector.length !== model.featureNames.length) {
    throw new RangeError(
      `the model takes ${model.featureNames.length} features, the vector has ${vector.length}`,
    );
  }
}

const treeModels = new WeakMap<BoostedTreesChurnModel, BoostedTrees>();

/** The artefact's trees in the shape boosted-trees.ts walks (the arrays are shared, not copied). */
function treesOf(model: BoostedTreesChurnModel): BoostedTrees {
  let trees = treeModels.get(model);
  if (!trees) {
    trees = {
      baseLogit: model.baseLogit,
      trees: model.trees,
      featureCount: model.featureNames.length,
    };
    treeModels.set(model, trees);
  }
  return trees;
}

/** The model's logit (uncalibrated). */
export function churnLogit(model: ChurnModelArtefact, vector: ArrayLike<number>): number {
  checkLength(model, vector);
  if (model.algorithm === "boosted-trees") return boostedTreesLogit(treesOf(model), vector);
  const { coefficients, offset } = compile(model);
  let logit = offset;
  for (let i = 0; i < coefficients.length; i++) {
    logit += (coefficients[i] as number) * (vector[i] as number);
  }
  return logit;
}

/** Calibrated P(churn) only: the scoring loop's variant, allocation-free. */
export function predictChurnProbability(
  model: ChurnModelArtefact,
  vector: ArrayLike<number>,
): number {
  return calibrate(model.calibration, churnLogit(model, vector));
}

/**
 * The largest contributions of one prediction, written in place by predictChurnInto: the
 * scoring loop keeps one and reuses it for every user instead of allocating a list per user.
 */
export class TopContributions {
  /** How many entries of `features` and `values` the last prediction filled. */
  count = 0;
  /** The last prediction's logit, as ChurnPrediction.logit. */
  logit = 0;
  /** Most churn-ward first; entries from `count` on are left over from earlier predictions. */
  readonly features: string[];
  readonly values: Float64Array;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 0)) {
      throw new RangeError(`capacity must be a whole number, got ${capacity}`);
    }
    this.features = new Array<string>(capacity).fill("");
    this.values = new Float64Array(capacity);
  }
}

/**
 * Every feature's contribution into `scratch` (reused between calls), and the logit: for the
 * regression w_i · z_i summed in feature order from the intercept, so every caller gets the
 * same bits; for trees the path credits of boosted-trees.ts.
 */
let scratch = new Float64Array(0);

function contributionsInto(model: ChurnModelArtefact, vector: ArrayLike<number>): number {
  checkLength(model, vector);
  const n = model.featureNames.length;
  if (scratch.length < n) scratch = new Float64Array(n);
  if (model.algorithm === "boosted-trees") {
    return boostedTreesContributions(treesOf(model), vector, scratch);
  }
  const { weights, mean, scale } = model;
  let logit = model.intercept;
  for (let i = 0; i < n; i++) {
    const z = ((vector[i] as number) - (mean[i] as number)) / (scale[i] as number);
    const value = (weights[i] as number) * z;
    logit += value;
    scratch[i] = value;
  }
  return logit;
}

/** Whether any of the first n contributions is NaN (where a sort's order is its own). */
function anyNaN(n: number): boolean {
  for (let i = 0; i < n; i++) if (Number.isNaN(scratch[i])) return true;
  return false;
}

/**
 * Indices of the `k` largest of the first `n` contributions into `order`, largest first, the
 * earlier feature first among equal values: the first k of a stable sort by descending value.
 * One insertion per contribution into a list of at most k; no allocation.
 */
let order = new Int32Array(0);

function selectTop(n: number, k: number, floor: number): number {
  if (k <= 0) return 0;
  if (order.length < k) order = new Int32Array(k);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const value = scratch[i] as number;
    if (value < floor) continue;
    if (count === k && !(value > (scratch[order[k - 1] as number] as number))) continue;
    let at = count < k ? count++ : k - 1;
    while (at > 0 && (scratch[order[at - 1] as number] as number) < value) {
      order[at] = order[at - 1] as number;
      at -= 1;
    }
    order[at] = i;
  }
  return count;
}

function sortedContributions(model: ChurnModelArtefact, n: number): Contribution[] {
  const contributions: Contribution[] = [];
  for (let i = 0; i < n; i++) {
    contributions.push({ feature: model.featureNames[i] as string, value: scratch[i] as number });
  }
  return contributions.sort((p, q) => q.value - p.value);
}

/**
 * Probability, logit and the per-feature contributions, most churn-ward first. `top` keeps
 * only that many; without it all are returned, and they sum to logit − intercept (regression)
 * or logit − boostedTreesBias (trees).
 */
export function predictChurn(
  model: ChurnModelArtefact,
  vector: ArrayLike<number>,
  top?: number,
): ChurnPrediction {
  const logit = contributionsInto(model, vector);
  const n = model.featureNames.length;
  const probability = calibrate(model.calibration, logit);
  let contributions: Contribution[];
  if (top !== undefined && Number.isInteger(top) && top >= 0 && top < n && !anyNaN(n)) {
    const count = selectTop(n, top, Number.NEGATIVE_INFINITY);
    contributions = new Array<Contribution>(count);
    for (let j = 0; j < count; j++) {
      const i = order[j] as number;
      contributions[j] = { feature: model.featureNames[i] as string, value: scratch[i] as number };
    }
  } else {
    contributions = sortedContributions(model, n);
    if (top !== undefined) contributions = contributions.slice(0, Math.max(top, 0));
  }
  return { probability, logit, contributions };
}

/**
 * predictChurn(model, vector, into.capacity) without allocating: the top contributions go into
 * `into` (features, values, count and the logit), the calibrated probability is returned. With
 * a `floor`, the list is cut before its first contribution below it (for a caller that stops
 * reading there), which spares sorting in the many that are.
 */
export function predictChurnInto(
  model: ChurnModelArtefact,
  vector: ArrayLike<number>,
  into: TopContributions,
  floor = Number.NEGATIVE_INFINITY,
): number {
  const logit = contributionsInto(model, vector);
  const n = model.featureNames.length;
  const k = Math.min(into.capacity, n);
  into.logit = logit;
  if (anyNaN(n)) {
    // The full sort's order of NaNs is its own; take it as it is.
    const sorted = sortedContributions(model, n);
    let count = 0;
    while (count < k && !((sorted[count] as Contribution).value < floor)) {
      const contribution = sorted[count] as Contribution;
      into.features[count] = contribution.feature;
      into.values[count] = contribution.value;
      count += 1;
    }
    into.count = count;
  } else {
    const count = selectTop(n, k, floor);
    for (let j = 0; j < count; j++) {
      const i = order[j] as number;
      into.features[j] = model.featureNames[i] as string;
      into.values[j] = scratch[i] as number;
    }
    into.count = count;
  }
  return calibrate(model.calibration, logit);
}
