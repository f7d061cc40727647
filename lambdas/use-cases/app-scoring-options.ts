import { DEFAULT_INDICATOR_OPTIONS } from "../domain/indicators.js";
import { mergePromotions, type Promotion } from "../domain/promotions.js";
import type { ScoringOptions } from "../domain/risk.js";
import type { ModelStore, PromotionStore } from "../model-ports.js";
import { loadScoringModels } from "./load-scoring-models.js";

export interface AppScoringSources {
  readonly models: ModelStore;
  readonly promotions: PromotionStore;
  /** The configured calendar (PROMOTIONS) and damping days, shared by every app. */
  readonly configured: { readonly promotions: readonly Promotion[]; readonly dampingDays: number };
}

/**
 * One app's scoring options: the deployment's rules and tiers with the app's current model
 * versions and its promotion calendar (configured plus stored). The score λ, the near-real-time
 * path and `churnwatch train` / `evaluate` all score through this, so they agree.
 */
export async function appScoringOptions(
  base: ScoringOptions,
  sources: AppScoringSources,
  appId: string,
): Promise<ScoringOptions> {
  const [models, stored] = await Promise.all([
    loadScoringModels(sources.models, appId),
    sources.promotions.list(appId),
  ]);
  return {
    ...base,
    models,
    indicators: {
      ...(base.indicators ?? DEFAULT_INDICATOR_OPTIONS),
      promotions: mergePromotions(sources.configured.promotions, stored),
      promotionDampingDays: sources.configured.dampingDays,
    },
  };
}

/**
 * `appScoringOptions` remembered per app for `ttlMs`, for a warm Lambda that scores a few users
 * per batch: a newly published model or promotion is picked up within that time.
 */
export function cachedAppScoringOptions(
  base: ScoringOptions,
  sources: AppScoringSources,
  ttlMs: number,
  now: () => number = Date.now,
): (appId: string) => Promise<ScoringOptions> {
  const cache = new Map<string, { at: number; options: Promise<ScoringOptions> }>();
  return (appId) => {
    const hit = cache.get(appId);
    if (hit && now() - hit.at < ttlMs) return hit.options;
    const options = appScoringOptions(base, sources, appId);
    cache.set(appId, { at: now(), options });
    // A failed lookup must not be remembered: the next batch asks again.
    options.catch(() => cache.delete(appId));
    return options;
  };
}
