/**
 * Scoring with a trained churn model. The standardisation is folded into the coefficients once
 * per model (logit = offset + Σ c_i x_i), cached per artefact object, so a scoring run pays one
 * multiply-add per feature per user.
 */
import type { ChurnModelArtefact } from "./artefacts.js";
import { calibrate } from "./calibration.js";

export interface Contribution {
  readonly feature: string;
  /** w_i · z_i: how far this feature moves the logit from the intercept. */
  readonly value: number;
}

export interface ChurnPrediction {
  /** Calibrated P(churn in the model's horizon). */
  readonly probability: number;
  /** The regression's logit before calibration: intercept + Σ contributions. */
  readonly logit: number;
  /** Sorted by descending value: the features pushing most towards churn first. */
  readonly contributions: readonly Contribution[];
}

interface Compiled {
  readonly coefficients: Float64Array;
  readonly offset: number;
}

const compiled = new WeakMap<ChurnModelArtefact, Compiled>();

function compile(model: ChurnModelArtefact): Compiled {
  let entry = compiled.get(model);
  if (!entry) {
    const n = model.weights.length;
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
  if (vector.length !== model.weights.length) {
    throw new RangeError(
      `the model takes ${model.weights.length} features, the vector has ${vector.length}`,
    );
  }
}

/** The regression's logit (uncalibrated). */
export function churnLogit(model: ChurnModelArtefact, vector: ArrayLike<number>): number {
  checkLength(model, vector);
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
 * Probability, logit and the per-feature contributions w_i·z_i, most churn-ward first. `top`
 * keeps only that many; without it all are returned, and they sum to logit − intercept.
 */
export function predictChurn(
  model: ChurnModelArtefact,
  vector: ArrayLike<number>,
  top?: number,
): ChurnPrediction {
  checkLength(model, vector);
  const contributions: Contribution[] = [];
  let logit = model.intercept;
  for (let i = 0; i < model.weights.length; i++) {
    const z = ((vector[i] as number) - (model.mean[i] as number)) / (model.scale[i] as number);
    const value = (model.weights[i] as number) * z;
    logit += value;
    contributions.push({ feature: model.featureNames[i] as string, value });
  }
  contributions.sort((p, q) => q.value - p.value);
  return {
    probability: calibrate(model.calibration, logit),
    logit,
    contributions: top === undefined ? contributions : contributions.slice(0, Math.max(top, 0)),
  };
}
