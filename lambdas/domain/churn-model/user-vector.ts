/**
 * One user's feature vector from the stored record, the same way for training rows and for
 * scoring: a model only means something if it is scored on exactly the inputs it was fitted on.
 */
import type { UserFeatures } from "../features.js";
import {
  DEFAULT_INDICATOR_OPTIONS,
  deriveIndicators,
  type IndicatorOptions,
} from "../indicators.js";
import { evaluateRules, type RulesConfig } from "../rules.js";
import { activityGaps } from "./activity-gaps.js";
import type { BtydArtefact } from "./artefacts.js";
import { btydSignals } from "./btyd-artefact.js";
import { churnFeatureVector } from "./feature-vector.js";

export interface ChurnVectorContext {
  /** The BTYD models whose signals the churn model was trained with; omit when none. */
  readonly btyd?: BtydArtefact;
  /** The churn model's horizon, for the expected purchases. */
  readonly horizonDays: number;
  readonly rules?: RulesConfig;
  readonly indicatorOptions?: IndicatorOptions;
}

/** Indicators, rule hits and BTYD signals as of `asOf`, written into `out` when given. */
export function churnVectorOf(
  features: UserFeatures,
  asOf: Date,
  context: ChurnVectorContext,
  out?: Float64Array,
): Float64Array {
  const indicators = deriveIndicators(
    features,
    asOf,
    context.indicatorOptions ?? DEFAULT_INDICATOR_OPTIONS,
  );
  const hits = evaluateRules(indicators, context.rules);
  const signals =
    context.btyd === undefined
      ? undefined
      : btydSignals(features, asOf, context.btyd, context.horizonDays);
  return churnFeatureVector(indicators, hits, signals, activityGaps(features, asOf), out);
}
