/**
 * Gradient-boosted regression trees for a 0/1 label (logistic loss), in the style of XGBoost and
 * LightGBM: each round fits a depth-limited tree to the gradient and Hessian of the loss, leaf
 * values are Newton steps −G/(H + λ), features are cut at quantile bins learned once.
 *
 * Why trees next to the logistic regression: churn is a product of "how long silent" and "how
 * often active before" — a user silent 10 days is fine at one visit a fortnight and gone at
 * daily visits. A linear logit cannot express that interaction; a depth-3 tree can. Training
 * picks whichever of the two wins on held-out rows (train.ts), so trees are used only where they
 * pay for themselves.
 *
 * Deterministic: no sampling, ties broken by feature and bin order, so the same rows give the
 * same trees on every machine. Each node keeps its own Newton value, so a prediction can be
 * split into per-feature contributions along its path (the change of value at each split is
 * credited to the split's feature): the reasons a warning gives.
 */

import { sigmoid } from "./logistic.js";

export interface BoostedTreesOptions {
  /** Boosting rounds (trees); default 100. */
  readonly rounds?: number;
  /** Shrinkage on every tree's values; default 0.1. */
  readonly learningRate?: number;
  /** Splits from root to leaf; default 3 (at most 8 leaves). */
  readonly maxDepth?: number;
  /** Fewest rows (by count) on each side of a split; default 20. */
  readonly minLeafRows?: number;
  /** λ in the leaf value −G/(H + λ); default 1. */
  readonly l2?: number;
  /** Most cut points per feature; default 63 (64 bins). */
  readonly maxCuts?: number;
  /** Per-row weights (≥ 0); default 1 each. */
  readonly weights?: ArrayLike<number>;
}

/**
 * One tree as parallel arrays, node 0 the root. An internal node sends x[feature] ≤ threshold
 * left and everything else (also NaN) right; a leaf has feature −1. `value` is the node's
 * Newton value already shrunk by the learning rate: a leaf's is its output, an internal node's
 * the output it would have had as a leaf.
 */
export interface RegressionTree {
  readonly feature: readonly number[];
  readonly threshold: readonly number[];
  readonly left: readonly number[];
  readonly right: readonly number[];
  readonly value: readonly number[];
}

export interface BoostedTrees {
  /** Log-odds of the (weighted) base rate: every prediction starts here. */
  readonly baseLogit: number;
  readonly trees: readonly RegressionTree[];
  readonly featureCount: number;
}

const DEFAULTS = {
  rounds: 100,
  learningRate: 0.1,
  maxDepth: 3,
  minLeafRows: 20,
  l2: 1,
  maxCuts: 63,
} as const;

/** A split must gain at least this much loss reduction to be made. */
const MIN_GAIN = 1e-9;

function positiveInteger(name: string, value: number, max: number): number {
  if (!(Number.isInteger(value) && value >= 1 && value <= max)) {
    throw new RangeError(`${name} must be a whole number in 1–${max}, got ${value}`);
  }
  return value;
}

/**
 * Cut points of one column: the midpoints between neighbouring distinct values when there are
 * few, else between the values at evenly spaced quantiles and their next distinct value.
 */
export function quantileCuts(values: Float64Array, maxCuts: number): Float64Array {
  const sorted = Float64Array.from(values).sort();
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i] as number;
    if (i === 0 || v !== sorted[i - 1]) distinct.push(v);
  }
  if (distinct.length <= 1) return new Float64Array(0);
  if (distinct.length - 1 <= maxCuts) {
    const cuts = new Float64Array(distinct.length - 1);
    for (let i = 0; i < cuts.length; i++) {
      cuts[i] = ((distinct[i] as number) + (distinct[i + 1] as number)) / 2;
    }
    return cuts;
  }
  const cuts: number[] = [];
  for (let q = 1; q <= maxCuts; q++) {
    const at = sorted[Math.min(Math.floor((q * sorted.length) / (maxCuts + 1)), sorted.length - 1)];
    // The midpoint to the next distinct value keeps equal values in one bin.
    let lo = 0;
    let hi = distinct.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((distinct[mid] as number) <= (at as number)) lo = mid + 1;
      else hi = mid;
    }
    if ((distinct[lo] as number) <= (at as number)) continue; // `at` is the largest value
    const cut = ((distinct[lo - 1] as number) + (distinct[lo] as number)) / 2;
    if (cuts.length === 0 || cut > (cuts[cuts.length - 1] as number)) cuts.push(cut);
  }
  return Float64Array.from(cuts);
}

/** The bin of `value`: the number of cuts strictly below it (value ≤ cuts[b] ⇒ bin ≤ b). */
function binOf(cuts: Float64Array, value: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= (cuts[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface GrowingTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

interface Split {
  feature: number;
  bin: number;
  gain: number;
}

/**
 * Fits on `rows` (each of the same length d, finite values) and 0/1 labels. Throws a RangeError
 * on empty input, ragged rows, non-finite values, bad weights or bad options.
 */
export function fitBoostedTrees(
  rows: readonly ArrayLike<number>[],
  labels: ArrayLike<boolean | number>,
  options: BoostedTreesOptions = {},
): BoostedTrees {
  const n = rows.length;
  if (n === 0) throw new RangeError("boosted trees need at least one row");
  if (labels.length !== n) throw new RangeError(`${n} rows but ${labels.length} labels`);
  const rounds = positiveInteger("rounds", options.rounds ?? DEFAULTS.rounds, 10_000);
  const maxDepth = positiveInteger("maxDepth", options.maxDepth ?? DEFAULTS.maxDepth, 12);
  const minLeafRows = positiveInteger(
    "minLeafRows",
    options.minLeafRows ?? DEFAULTS.minLeafRows,
    Number.MAX_SAFE_INTEGER,
  );
  const maxCuts = positiveInteger("maxCuts", options.maxCuts ?? DEFAULTS.maxCuts, 255);
  const learningRate = options.learningRate ?? DEFAULTS.learningRate;
  if (!(Number.isFinite(learningRate) && learningRate > 0 && learningRate <= 1)) {
    throw new RangeError(`learningRate must be in (0, 1], got ${learningRate}`);
  }
  const l2 = options.l2 ?? DEFAULTS.l2;
  if (!(Number.isFinite(l2) && l2 >= 0)) throw new RangeError(`l2 must be ≥ 0, got ${l2}`);
  const d = (rows[0] as ArrayLike<number>).length;
  if (d === 0) throw new RangeError("rows need at least one feature");
  if (options.weights !== undefined && options.weights.length !== n) {
    throw new RangeError(`${n} rows but ${options.weights.length} row weights`);
  }
  const rowWeights = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i] as ArrayLike<number>;
    if (row.length !== d) throw new RangeError(`row ${i} has ${row.length} values, expected ${d}`);
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(row[j])) throw new RangeError(`row ${i}, feature ${j} is not finite`);
    }
    const w = options.weights === undefined ? 1 : (options.weights[i] as number);
    if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`row weight ${i} must be ≥ 0`);
    rowWeights[i] = w;
    const label = labels[i];
    y[i] = label === true || label === 1 ? 1 : 0;
  }

  // Bin every column once: splits are searched over bins, never over raw values.
  const cuts: Float64Array[] = [];
  const bins = new Uint8Array(n * d);
  const column = new Float64Array(n);
  let maxBins = 1;
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) column[i] = (rows[i] as ArrayLike<number>)[j] as number;
    const c = quantileCuts(column, maxCuts);
    cuts.push(c);
    maxBins = Math.max(maxBins, c.length + 1);
    for (let i = 0; i < n; i++) bins[i * d + j] = binOf(c, column[i] as number);
  }

  let weightSum = 0;
  let positiveWeight = 0;
  for (let i = 0; i < n; i++) {
    weightSum += rowWeights[i] as number;
    positiveWeight += (rowWeights[i] as number) * (y[i] as number);
  }
  if (!(weightSum > 0)) throw new RangeError("the row weights sum to 0");
  // Clamped so a one-class sample starts at a finite logit.
  const baseRate = Math.min(Math.max(positiveWeight / weightSum, 1e-6), 1 - 1e-6);
  const baseLogit = Math.log(baseRate / (1 - baseRate));

  const margin = new Float64Array(n).fill(baseLogit);
  const gradient = new Float64Array(n);
  const hessian = new Float64Array(n);
  const histG = new Float64Array(d * maxBins);
  const histH = new Float64Array(d * maxBins);
  const histN = new Int32Array(d * maxBins);
  const trees: RegressionTree[] = [];

  const bestSplit = (members: Int32Array, G: number, H: number): Split | undefined => {
    histG.fill(0);
    histH.fill(0);
    histN.fill(0);
    for (let k = 0; k < members.length; k++) {
      const i = members[k] as number;
      const g = gradient[i] as number;
      const h = hessian[i] as number;
      const base = i * d;
      for (let j = 0; j < d; j++) {
        const at = j * maxBins + (bins[base + j] as number);
        histG[at] = (histG[at] as number) + g;
        histH[at] = (histH[at] as number) + h;
        histN[at] = (histN[at] as number) + 1;
      }
    }
    const parentScore = (G * G) / (H + l2);
    let best: Split | undefined;
    for (let j = 0; j < d; j++) {
      const binCount = (cuts[j] as Float64Array).length + 1;
      let gl = 0;
      let hl = 0;
      let nl = 0;
      for (let b = 0; b < binCount - 1; b++) {
        const at = j * maxBins + b;
        gl += histG[at] as number;
        hl += histH[at] as number;
        nl += histN[at] as number;
        if (nl < minLeafRows) continue;
        if (members.length - nl < minLeafRows) break;
        const gr = G - gl;
        const hr = H - hl;
        const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parentScore;
        if (gain > MIN_GAIN && (best === undefined || gain > best.gain)) {
          best = { feature: j, bin: b, gain };
        }
      }
    }
    return best;
  };

  const grow = (tree: GrowingTree, members: Int32Array, depth: number): number => {
    let G = 0;
    let H = 0;
    for (let k = 0; k < members.length; k++) {
      G += gradient[members[k] as number] as number;
      H += hessian[members[k] as number] as number;
    }
    const node = tree.value.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(H + l2 > 0 ? (-G / (H + l2)) * learningRate : 0);
    if (depth >= maxDepth || members.length < 2 * minLeafRows) return node;
    const split = bestSplit(members, G, H);
    if (!split) return node;
    let leftCount = 0;
    for (let k = 0; k < members.length; k++) {
      if ((bins[(members[k] as number) * d + split.feature] as number) <= split.bin) leftCount++;
    }
    const leftMembers = new Int32Array(leftCount);
    const rightMembers = new Int32Array(members.length - leftCount);
    let l = 0;
    let r = 0;
    for (let k = 0; k < members.length; k++) {
      const i = members[k] as number;
      if ((bins[i * d + split.feature] as number) <= split.bin) leftMembers[l++] = i;
      else rightMembers[r++] = i;
    }
    tree.feature[node] = split.feature;
    tree.threshold[node] = (cuts[split.feature] as Float64Array)[split.bin] as number;
    tree.left[node] = grow(tree, leftMembers, depth + 1);
    tree.right[node] = grow(tree, rightMembers, depth + 1);
    return node;
  };

  const everyone = new Int32Array(n);
  for (let i = 0; i < n; i++) everyone[i] = i;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(margin[i] as number);
      const w = rowWeights[i] as number;
      gradient[i] = w * (p - (y[i] as number));
      hessian[i] = w * p * (1 - p);
    }
    const tree: GrowingTree = { feature: [], threshold: [], left: [], right: [], value: [] };
    grow(tree, everyone, 0);
    trees.push(tree);
    for (let i = 0; i < n; i++) {
      margin[i] = (margin[i] as number) + leafValue(tree, rows[i] as ArrayLike<number>);
    }
  }
  return { baseLogit, trees, featureCount: d };
}

/** The leaf `row` falls into. */
function leafOf(tree: RegressionTree, row: ArrayLike<number>): number {
  let node = 0;
  let feature = tree.feature[0] as number;
  while (feature >= 0) {
    node =
      (row[feature] as number) <= (tree.threshold[node] as number)
        ? (tree.left[node] as number)
        : (tree.right[node] as number);
    feature = tree.feature[node] as number;
  }
  return node;
}

function leafValue(tree: RegressionTree, row: ArrayLike<number>): number {
  return tree.value[leafOf(tree, row)] as number;
}

/**
 * Every tree's nodes in one set of typed arrays (child indices absolute), built once per model:
 * a scoring run walks a hundred trees per user, and flat numeric arrays keep that walk in cache.
 * The node order within each tree is kept, so the sums are the same as over the trees.
 */
interface FlatTrees {
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
}

const flattened = new WeakMap<BoostedTrees, FlatTrees>();

function flat(model: BoostedTrees): FlatTrees {
  let found = flattened.get(model);
  if (found) return found;
  let nodes = 0;
  for (const tree of model.trees) nodes += tree.feature.length;
  const roots = new Int32Array(model.trees.length);
  const feature = new Int32Array(nodes);
  const threshold = new Float64Array(nodes);
  const left = new Int32Array(nodes);
  const right = new Int32Array(nodes);
  const value = new Float64Array(nodes);
  let at = 0;
  model.trees.forEach((tree, t) => {
    roots[t] = at;
    for (let node = 0; node < tree.feature.length; node++) {
      feature[at + node] = tree.feature[node] as number;
      threshold[at + node] = tree.threshold[node] as number;
      const l = tree.left[node] as number;
      const r = tree.right[node] as number;
      left[at + node] = l < 0 ? -1 : at + l;
      right[at + node] = r < 0 ? -1 : at + r;
      value[at + node] = tree.value[node] as number;
    }
    at += tree.feature.length;
  });
  found = { roots, feature, threshold, left, right, value };
  flattened.set(model, found);
  return found;
}

/** The model's logit (uncalibrated) for one row. */
export function boostedTreesLogit(model: BoostedTrees, row: ArrayLike<number>): number {
  const { roots, feature, threshold, left, right, value } = flat(model);
  let logit = model.baseLogit;
  for (let t = 0; t < roots.length; t++) {
    let node = roots[t] as number;
    let split = feature[node] as number;
    while (split >= 0) {
      node =
        (row[split] as number) <= (threshold[node] as number)
          ? (left[node] as number)
          : (right[node] as number);
      split = feature[node] as number;
    }
    logit += value[node] as number;
  }
  return logit;
}

/** What every prediction starts from before any split: the base logit plus the root values. */
export function boostedTreesBias(model: BoostedTrees): number {
  let bias = model.baseLogit;
  for (const tree of model.trees) bias += tree.value[0] as number;
  return bias;
}

/**
 * The logit of `row`, and into `out` (length featureCount, overwritten) each feature's share of
 * it: along the row's path in every tree, the change from a node's value to its child's is
 * credited to the node's feature. The shares sum to logit − boostedTreesBias(model).
 */
export function boostedTreesContributions(
  model: BoostedTrees,
  row: ArrayLike<number>,
  out: Float64Array,
): number {
  const { roots, feature, threshold, left, right, value } = flat(model);
  out.fill(0, 0, model.featureCount);
  let logit = model.baseLogit;
  for (let t = 0; t < roots.length; t++) {
    let node = roots[t] as number;
    let nodeValue = value[node] as number;
    let split = feature[node] as number;
    while (split >= 0) {
      const next =
        (row[split] as number) <= (threshold[node] as number)
          ? (left[node] as number)
          : (right[node] as number);
      const nextValue = value[next] as number;
      out[split] = (out[split] as number) + nextValue - nodeValue;
      node = next;
      nodeValue = nextValue;
      split = feature[node] as number;
    }
    logit += nodeValue;
  }
  return logit;
}
