/**
 * What `churnwatch fit`, `train`, `evaluate` and the run summary of `score` do in local mode:
 * the use cases of lambdas/use-cases/ over local mode's tables, with the same configuration the
 * handlers read (so training and evaluation score exactly like the score λ).
 */

import { readFile } from "node:fs/promises";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoFeatureStore } from "../lambdas/adapters/dynamo-feature-store.js";
import { DynamoLedger } from "../lambdas/adapters/dynamo-ledger.js";
import { DynamoModelStore } from "../lambdas/adapters/dynamo-model-store.js";
import { DynamoPromotionStore } from "../lambdas/adapters/dynamo-promotion-store.js";
import type { ChurnAlgorithm } from "../lambdas/domain/churn-model/train.js";
import type { ScoringOptions } from "../lambdas/domain/risk.js";
import { parseTruthCsv, TruthCsvError } from "../lambdas/domain/simulation/truth-csv.js";
import { MODEL_KINDS, type ModelVersionSummary } from "../lambdas/model-ports.js";
import type { RunSummary } from "../lambdas/ports.js";
import { promotionsFromEnv, scoringOptionsFromEnv } from "../lambdas/shared/config.js";
import { appScoringOptions } from "../lambdas/use-cases/app-scoring-options.js";
import {
  type EvaluateQuery,
  evaluateOnStore,
  type StoreEvaluation,
} from "../lambdas/use-cases/evaluate-on-store.js";
import {
  type FitOutcome,
  fitBtydOnStore,
  type TrainOutcome,
  trainOnStore,
  WorkbenchError,
} from "../lambdas/use-cases/model-workbench.js";

export interface EvaluateRequest extends Omit<EvaluateQuery, "truth" | "promotions"> {
  /** Path of a truth CSV written by `churnwatch simulate` (local mode reads it). */
  readonly truthFile?: string;
}

export interface LocalWorkbench {
  fit(appId: string, query: { calibrationEnd: string; userPrefix?: string }): Promise<FitOutcome>;
  train(
    appId: string,
    query: {
      asOf: string;
      horizonDays: number;
      label: "activity" | "purchase";
      userPrefix?: string;
      l2?: number;
      snapshots?: number;
      algorithm?: ChurnAlgorithm | "auto";
    },
  ): Promise<TrainOutcome>;
  models(appId: string): Promise<ModelVersionSummary[]>;
  evaluate(appId: string, query: EvaluateRequest): Promise<StoreEvaluation>;
  runSummary(runId: string): Promise<RunSummary | undefined>;
}

export function createLocalWorkbench(
  doc: DynamoDBDocumentClient,
  tables: { users: string; scoring: string; ledger: string },
): LocalWorkbench {
  const profiles = new DynamoFeatureStore(doc, tables.users);
  const models = new DynamoModelStore(doc, tables.scoring);
  const promotions = new DynamoPromotionStore(doc, tables.scoring);
  const ledger = new DynamoLedger(doc, tables.ledger);
  // Read per request, like a cold start would: the handlers' environment is in place by then.
  const scoringFor = (appId: string): Promise<ScoringOptions> =>
    appScoringOptions(
      scoringOptionsFromEnv(),
      { models, promotions, configured: promotionsFromEnv() },
      appId,
    );
  return {
    fit: (appId, query) => fitBtydOnStore(appId, query, { profiles, models }),
    train: async (appId, query) =>
      trainOnStore(appId, query, { profiles, models, scoring: await scoringFor(appId) }),
    models: async (appId) =>
      (await Promise.all(MODEL_KINDS.map((kind) => models.list(appId, kind)))).flat(),
    evaluate: async (appId, request) => {
      const scoring = await scoringFor(appId);
      let truth: EvaluateQuery["truth"];
      if (request.truthFile !== undefined) {
        let text: string;
        try {
          text = await readFile(request.truthFile, "utf8");
        } catch (error) {
          throw new WorkbenchError(
            `cannot read the truth file ${request.truthFile}: ${(error as Error).message}`,
          );
        }
        try {
          truth = parseTruthCsv(text);
        } catch (error) {
          if (error instanceof TruthCsvError) throw new WorkbenchError(error.message);
          throw error;
        }
      }
      const { truthFile: _ignored, ...query } = request;
      return evaluateOnStore(
        appId,
        {
          ...query,
          ...(truth ? { truth } : {}),
          promotions: scoring.indicators?.promotions ?? [],
        },
        { profiles, models, scoring },
      );
    },
    runSummary: (runId) => ledger.runSummary(runId),
  };
}
