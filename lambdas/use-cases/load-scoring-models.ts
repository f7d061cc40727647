import { parseBtydArtefact, parseChurnModelArtefact } from "../domain/churn-model/artefacts.js";
import type { ScoringModels } from "../domain/risk.js";
import type { ModelStore } from "../model-ports.js";

/**
 * The app's current model versions, validated. A stored artefact this code cannot read is an
 * error, not "no model": scoring silently on rules alone would hide a broken deployment.
 */
export async function loadScoringModels(store: ModelStore, appId: string): Promise<ScoringModels> {
  const [churn, btyd] = await Promise.all([
    store.current(appId, "churn-lr"),
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
            artefact: read("churn-lr", churn.version, () =>
              parseChurnModelArtefact(churn.artefact),
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
