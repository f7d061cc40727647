/**
 * The learned churn model: BTYD signals, the feature vector, logistic regression or boosted
 * trees with Platt calibration, and the stored artefacts. Pure TypeScript; the model store and the scoring
 * function sit in the adapters and handlers.
 */

export {
  type BoostedTreesChurnModel,
  type BtydArtefact,
  btydArtefactSchema,
  type ChurnModelArtefact,
  churnModelArtefactSchema,
  isDayKey,
  type LogisticChurnModel,
  type ModelArtefact,
  modelArtefactSchema,
  parseBtydArtefact,
  parseChurnModelArtefact,
  parseModelArtefact,
  type ReliabilityBin,
} from "./artefacts.js";
export {
  type BoostedTrees,
  type BoostedTreesOptions,
  boostedTreesBias,
  boostedTreesContributions,
  boostedTreesLogit,
  fitBoostedTrees,
  type RegressionTree,
} from "./boosted-trees.js";
export {
  type BtydFit,
  type BtydFitReport,
  type BtydFitSummary,
  type BtydSignals,
  btydSignals,
  fitBtydArtefact,
  NO_PURCHASE_SIGNALS,
} from "./btyd-artefact.js";
export {
  brierScore,
  calibrate,
  expectedCalibrationError,
  fitPlatt,
  IDENTITY_CALIBRATION,
  logLoss,
  type PlattCalibration,
  reliabilityBins,
} from "./calibration.js";
export {
  CHURN_FEATURE_COUNT,
  CHURN_FEATURE_NAMES,
  churnFeatureVector,
  DAYS_SINCE_CAP,
} from "./feature-vector.js";
export {
  cholesky,
  choleskySolve,
  fitLogistic,
  type LogisticModel,
  type LogisticOptions,
  logisticLogit,
  sigmoid,
  softplus,
} from "./logistic.js";
export {
  type ChurnPrediction,
  type Contribution,
  churnLogit,
  predictChurn,
  predictChurnProbability,
} from "./predict.js";
export {
  CHURN_ALGORITHMS,
  type ChurnAlgorithm,
  DEFAULT_L2,
  L2_GRID,
  MIN_AUC_GAIN,
  MIN_TRAINING_ROWS,
  type TrainingRow,
  type TrainOptions,
  trainChurnModel,
} from "./train.js";
export { type ChurnVectorContext, churnVectorOf } from "./user-vector.js";
