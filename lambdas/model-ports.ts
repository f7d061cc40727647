/**
 * Ports to the scoring table: fitted model versions per app and kind, and the app's promotion
 * calendar. The DynamoDB adapters are in `adapters/dynamo-model-store.ts` and
 * `adapters/dynamo-promotion-store.ts`; the layout is in docs/data-model.md.
 */
import type { Promotion } from "./domain/promotions.js";

/** The kinds of fitted model scoring combines with the rules. */
export const MODEL_KINDS = ["btyd", "churn"] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** What a version says about itself without its artefact: enough to list and compare them. */
export interface ModelVersionSummary {
  readonly appId: string;
  readonly kind: ModelKind;
  /** 1, 2, 3, … per app and kind; never shared by two publishes. */
  readonly version: number;
  /** ISO instant of the publish. */
  readonly createdAt: string;
  /** Fit diagnostics (sizes, metrics, convergence), as the publisher gave them. */
  readonly summary: Readonly<Record<string, unknown>>;
  /** Whether the app's CURRENT pointer for this kind names this version. */
  readonly current: boolean;
}

/** A published version with its artefact. */
export interface StoredModel extends Omit<ModelVersionSummary, "current"> {
  /**
   * The fitted parameters, opaque to the store: the domain validates them
   * (lambdas/domain/churn-model/artefacts.ts) before use.
   */
  readonly artefact: unknown;
}

/** Versions of fitted models, with one current version per app and kind. */
export interface ModelStore {
  /** The version the CURRENT pointer names, or undefined when nothing was published yet. */
  current(appId: string, kind: ModelKind): Promise<StoredModel | undefined>;
  /**
   * Stores `artefact` as the next version and makes it current, atomically: two concurrent
   * publishes get two different versions, and CURRENT only moves forward.
   */
  publish(
    appId: string,
    kind: ModelKind,
    artefact: unknown,
    summary: Record<string, unknown>,
  ): Promise<{ version: number }>;
  /** Every version, oldest first, without artefacts. */
  list(appId: string, kind: ModelKind): Promise<ModelVersionSummary[]>;
}

/** The promotions an operator added for an app (configured ones come from PROMOTIONS). */
export interface PromotionStore {
  /** Sorted by start day. */
  list(appId: string): Promise<Promotion[]>;
  /**
   * Adds a promotion the caller has checked against the merged calendar.
   * @throws PromotionConflictError when one with the same start day and name is already stored.
   */
  add(appId: string, promotion: Promotion): Promise<void>;
}

/** A promotion with the same start day and name is already stored. */
export class PromotionConflictError extends Error {
  override readonly name = "PromotionConflictError";
}
