import {
  type ChurnModelArtefact,
  parseBtydArtefact,
  parseChurnModelArtefact,
} from "../domain/churn-model/artefacts.js";
import { CHURN_FEATURE_NAMES } from "../domain/churn-model/feature-vector.js";
import type { ScoringModels } from "../domain/risk.js";
import type { ModelStore } from "../model-ports.js";

/**
 * The app's current model versions, validated. A stored artefact this code cannot read is an
 * error, not "no model": scoring silently on rules alone would hide a broken deployment.
 */
export async function loadScoringModels(store: ModelStore, appId: string): Promise<ScoringModels> {
  const [churn, btyd] = await Promise.all([
    store.current(appId, "churn"),
    store.current(appId, "btyd"),
  ]);
  const read = <A>(kind: string, version: number, parse: () => A): A => {
    try {
      return parse();
    } catch (error) {
      throw new Error(`${kind} model v${version} of app ${appId}: ${(error as Error).message}`);
    }
  };
  return {
    ...(churn
      ? {
          churn: {
            version: churn.version,
            artefact: read("churn", churn.version, () =>
              alignFeatures(parseChurnModelArtefact(churn.artefact)),
            ),
          },
        }
      : {}),
    ...(btyd
      ? {
          btyd: {
            version: btyd.version,
            artefact: read("btyd", btyd.version, () => parseBtydArtefact(btyd.artefact)),
          },
        }
      : {}),
  };
}

/**
 * A model trained before this version added features still scores: its weights are laid out on
 * today's feature names with weight 0 (mean 0, scale 1) for the new ones, and its trees' splits
 * point at the features' indices today, which leaves every prediction unchanged. A model that needs a feature this version no longer computes cannot be
 * scored right and is refused, naming the feature: retrain it.
 */
export function alignFeatures(model: ChurnModelArtefact): ChurnModelArtefact {
  const names = model.featureNames;
  if (
    names.length === CHURN_FEATURE_NAMES.length &&
    names.every((n, i) => n === CHURN_FEATURE_NAMES[i])
  ) {
    return model;
  }
  const index = new Map(names.map((name, i) => [name, i]));
  const missing = names.filter((name) => !CHURN_FEATURE_NAMES.includes(name));
  if (missing.length > 0) {
    throw new Error(
      `it uses features this version does not compute (${missing.join(", ")}): train a new version`,
    );
  }
  if (model.algorithm === "boosted-trees") {
    // A tree splits on feature indices: point each split at the feature's index today.
    const today = new Map(CHURN_FEATURE_NAMES.map((name, i) => [name, i]));
    const moved = names.map((name) => today.get(name) as number);
    return {
      ...model,
      featureNames: [...CHURN_FEATURE_NAMES],
      trees: model.trees.map((tree) => ({
        ...tree,
        feature: tree.feature.map((feature) =>
          feature < 0 ? feature : (moved[feature] as number),
        ),
      })),
    };
  }
  const pick = (values: readonly number[], fallback: number) =>
    CHURN_FEATURE_NAMES.map((name) => {
      const i = index.get(name);
      return i === undefined ? fallback : (values[i] as number);
    });
  return {
    ...model,
    featureNames: [...CHURN_FEATURE_NAMES],
    mean: pick(model.mean, 0),
    scale: pick(model.scale, 1),
    weights: pick(model.weights, 0),
  };
}
