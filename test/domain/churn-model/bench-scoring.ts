/**
 * Micro-benchmark of the scoring path, per core:
 *   node local/run-ts.js test/domain/churn-model/bench-scoring.ts
 * Not a test (timings on shared CI runners are noise); run it after touching the scoring path.
 */
import {
  type BtydArtefact,
  btydSignals,
  CHURN_FEATURE_COUNT,
  CHURN_FEATURE_NAMES,
  churnFeatureVector,
  churnVectorOf,
  type LogisticChurnModel,
  predictChurnProbability,
} from "../../../lambdas/domain/churn-model/index.js";
import {
  applyEvents,
  type FeatureInput,
  type UserFeatures,
} from "../../../lambdas/domain/features.js";
import { deriveIndicators } from "../../../lambdas/domain/indicators.js";
import { evaluateRules } from "../../../lambdas/domain/rules.js";
import { appOpen, purchase } from "../../fixtures/events.js";

const NO_GAPS = { longestGapDays: 0, returnsAfterLongGap: 0, activeDays365: 0, currentGapDays: 0 };
const DAY_MS = 86_400_000;
const asOf = new Date("2026-03-01T00:00:00Z");

/** Users active on every `gap`-th day for `span` days before asOf, buying every 13th active day. */
function users(count: number, span: number, gap: number): UserFeatures[] {
  return Array.from({ length: count }, (_, u) => {
    const inputs: FeatureInput[] = [];
    const start = asOf.getTime() - span * DAY_MS - (u % 20) * DAY_MS;
    for (let d = 0; d < span; d += gap + (u % 3)) {
      inputs.push(appOpen("u", new Date(start + d * DAY_MS + 36e5).toISOString()));
      if (d % 13 === 0)
        inputs.push(purchase("u", new Date(start + d * DAY_MS + 72e5).toISOString(), 9_900));
    }
    return applyEvents(undefined, "app", `u${u}`, inputs);
  });
}

const model: LogisticChurnModel = {
  kind: "churn",
  algorithm: "logistic",
  asOf: asOf.toISOString(),
  horizonDays: 30,
  label: "activity",
  featureNames: [...CHURN_FEATURE_NAMES],
  mean: CHURN_FEATURE_NAMES.map(() => 0.5),
  scale: CHURN_FEATURE_NAMES.map(() => 1.5),
  weights: CHURN_FEATURE_NAMES.map((_, i) => ((i % 5) - 2) / 10),
  intercept: -1,
  l2: 1,
  calibration: { a: 0.9, b: 0.1 },
  metrics: {
    rows: 0,
    positives: 0,
    validationRows: 0,
    trainAuc: null,
    validationAuc: null,
    brier: 0,
    logLoss: 0,
    reliability: [],
    converged: true,
    iterations: 0,
  },
  btydVersion: null,
};

const btyd: BtydArtefact = {
  kind: "btyd",
  unit: "weeks",
  calibrationEnd: "2026-03-01",
  customers: 2357,
  bgNbd: {
    params: { r: 0.243, alpha: 4.41, a: 0.793, b: 2.43 },
    logLikelihood: null,
    converged: true,
  },
  mbgNbd: {
    params: { r: 0.525, alpha: 6.18, a: 0.891, b: 1.61 },
    logLikelihood: null,
    converged: true,
  },
  paretoNbd: {
    params: { r: 0.553, alpha: 10.58, s: 0.606, beta: 11.66 },
    logLikelihood: null,
    converged: true,
  },
  gammaGamma: null,
};

function rate(label: string, population: readonly unknown[], run: () => void): void {
  for (let warm = 0; warm < 2; warm++) run();
  let best = 0;
  for (let round = 0; round < 5; round++) {
    const started = performance.now();
    run();
    best = Math.max(best, population.length / ((performance.now() - started) / 1000));
  }
  console.log(`${label.padEnd(58)} ${Math.round(best).toLocaleString("en")} users/s`);
}

const out = new Float64Array(CHURN_FEATURE_COUNT);
let sink = 0;
for (const [name, population] of [
  ["light (≈10 active days in 90)", users(2_000, 90, 8)],
  ["heavy (≈95 active days in 300)", users(2_000, 300, 2)],
] as const) {
  const days =
    population.reduce((sum, f) => sum + Object.keys(f.days).length, 0) / population.length;
  console.log(`${name}: ${days.toFixed(1)} day buckets per user`);
  const derived = population.map((f) => {
    const indicators = deriveIndicators(f, asOf);
    return { indicators, hits: evaluateRules(indicators) };
  });
  rate("  vector + predict (indicators given)", derived, () => {
    for (const { indicators, hits } of derived) {
      sink += predictChurnProbability(
        model,
        churnFeatureVector(indicators, hits, undefined, NO_GAPS, out),
      );
    }
  });
  rate("  btydSignals alone", population, () => {
    for (const f of population) sink += btydSignals(f, asOf, btyd, 30).expectedPurchases;
  });
  rate("  deriveIndicators alone", population, () => {
    for (const f of population) sink += deriveIndicators(f, asOf).daysSinceLastSeen;
  });
  rate("  deriveIndicators + rules + vector + predict", population, () => {
    for (const f of population) {
      sink += predictChurnProbability(model, churnVectorOf(f, asOf, { horizonDays: 30 }, out));
    }
  });
  rate("  … + BTYD signals", population, () => {
    for (const f of population) {
      sink += predictChurnProbability(
        model,
        churnVectorOf(f, asOf, { horizonDays: 30, btyd }, out),
      );
    }
  });
}
if (Number.isNaN(sink)) console.log("unreachable");
