/**
 * The churn rules the reports name, as data: each rule reads the derived indicators, its
 * thresholds come from a typed configuration with overrides per lifecycle stage and value tier,
 * and a hit carries a stable reason code with the numbers that tripped it.
 */
import { z } from "zod";
import type { Indicators, LifecycleStage, ValueTier } from "./indicators.js";

export const RULE_IDS = [
  "no_app_open",
  "interaction_drop",
  "no_login",
  "uninstall_silence",
  "short_term_inactive",
  "long_term_inactive",
  "cart_abandoned",
  "complaint_then_silence",
  "slow_pages_then_decline",
  "search_without_purchase",
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** How bad a hit is: the tier it can lift a user to on its own. */
export type Severity = "low" | "medium" | "high" | "critical";

export interface RuleHit {
  readonly code: RuleId;
  readonly severity: Severity;
  readonly params: Readonly<Record<string, number>>;
}

const days = z.number().int().min(1).max(3650);
const share = z.number().min(0).max(1);

/** Every threshold a rule may use, with its range; a configured value outside it is refused. */
export const thresholdsSchema = z
  .object({
    noAppOpenDays: days,
    interactionDropShare: share,
    /** Interactions per day below which a baseline is too thin to measure a drop against. */
    minBaselinePerDay: z.number().min(0).max(1000),
    noLoginDays: days,
    shortTermDays: days,
    /** Active days in the last 30 that make a user habitual enough for the short-term rule. */
    shortTermMinActiveDays30: z.number().int().min(1).max(30),
    longTermDays: days,
    cartAbandonRecoveryDays: days,
    complaintSilenceDays: days,
    slowPageShare: share,
    slowPageMinCount: z.number().int().min(1).max(10_000),
    slowPageDropShare: share,
    searchesWithoutPurchase: z.number().int().min(1).max(10_000),
  })
  .strict();

export type Thresholds = z.infer<typeof thresholdsSchema>;

export const DEFAULT_THRESHOLDS: Thresholds = {
  noAppOpenDays: 7,
  interactionDropShare: 0.5,
  minBaselinePerDay: 0.2,
  noLoginDays: 30,
  shortTermDays: 3,
  shortTermMinActiveDays30: 10,
  longTermDays: 90,
  cartAbandonRecoveryDays: 1,
  complaintSilenceDays: 3,
  slowPageShare: 0.2,
  slowPageMinCount: 3,
  slowPageDropShare: 0.3,
  searchesWithoutPurchase: 5,
};

const ruleSettingSchema = z
  .object({
    enabled: z.boolean(),
    severity: z.enum(["low", "medium", "high", "critical"]),
    /** Damped during a promotion and its damping days (see DEFAULT_DAMPED_BY_PROMOTIONS). */
    dampedByPromotions: z.boolean(),
  })
  .strict();

export const rulesConfigSchema = z
  .object({
    rules: z.partialRecord(z.enum(RULE_IDS), ruleSettingSchema.partial()).optional(),
    thresholds: thresholdsSchema.partial().optional(),
    /** Later entries win; an entry applies when both its stage and tier (where given) match. */
    overrides: z
      .array(
        z
          .object({
            stage: z.enum(["new", "growth", "mature"]).optional(),
            tier: z.enum(["high", "standard"]).optional(),
            thresholds: thresholdsSchema.partial(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export type RulesConfig = z.infer<typeof rulesConfigSchema>;

export const DEFAULT_SEVERITY: Readonly<Record<RuleId, Severity>> = {
  no_app_open: "medium",
  interaction_drop: "medium",
  no_login: "high",
  uninstall_silence: "critical",
  short_term_inactive: "low",
  long_term_inactive: "high",
  cart_abandoned: "low",
  complaint_then_silence: "high",
  slow_pages_then_decline: "medium",
  search_without_purchase: "low",
};

/**
 * Rules that read a drop or a silence, and so misread the lull after a sale: while the as-of day
 * is inside a promotion or its damping days, their hits are one severity lower (a `low` hit is
 * dropped). Rules about an act of the user (uninstall, complaint, abandoned cart) or a long
 * absence are not: a sale explains neither.
 */
export const DEFAULT_DAMPED_BY_PROMOTIONS: Readonly<Record<RuleId, boolean>> = {
  no_app_open: true,
  interaction_drop: true,
  no_login: false,
  uninstall_silence: false,
  short_term_inactive: true,
  long_term_inactive: false,
  cart_abandoned: false,
  complaint_then_silence: false,
  slow_pages_then_decline: true,
  search_without_purchase: true,
};

const ONE_STEP_LOWER: Readonly<Record<Severity, Severity | undefined>> = {
  critical: "high",
  high: "medium",
  medium: "low",
  low: undefined,
};

/** Parses a rules configuration; the error names the exact key and why it was refused. */
export function parseRulesConfig(raw: unknown): RulesConfig {
  const parsed = rulesConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // An unknown key is named itself, not just the object that holds it.
    const path = [
      ...(issue?.path ?? []),
      ...(issue?.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : []),
    ];
    throw new Error(`rules config: ${path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return parsed.data;
}

export function thresholdsFor(
  config: RulesConfig,
  stage: LifecycleStage,
  tier: ValueTier,
): Thresholds {
  let thresholds: Thresholds = { ...DEFAULT_THRESHOLDS, ...config.thresholds };
  for (const override of config.overrides ?? []) {
    if ((override.stage ?? stage) === stage && (override.tier ?? tier) === tier) {
      thresholds = { ...thresholds, ...override.thresholds };
    }
  }
  return thresholds;
}

/** An abandoned cart older than this is history, not a signal. */
const CART_ABANDON_WINDOW_DAYS = 30;

type Check = (i: Indicators, t: Thresholds) => Record<string, number> | undefined;

const checks: Readonly<Record<RuleId, Check>> = {
  no_app_open: (i, t) =>
    i.daysSinceLastAppOpen !== null && i.daysSinceLastAppOpen >= t.noAppOpenDays
      ? { days: i.daysSinceLastAppOpen, thresholdDays: t.noAppOpenDays }
      : undefined,
  interaction_drop: (i, t) =>
    i.interaction.change !== null &&
    i.interaction.baselinePerDay >= t.minBaselinePerDay &&
    -i.interaction.change >= t.interactionDropShare
      ? {
          dropPercent: Math.round(-i.interaction.change * 100),
          thresholdPercent: Math.round(t.interactionDropShare * 100),
        }
      : undefined,
  no_login: (i, t) =>
    i.daysSinceLastLogin !== null && i.daysSinceLastLogin >= t.noLoginDays
      ? { days: i.daysSinceLastLogin, thresholdDays: t.noLoginDays }
      : undefined,
  uninstall_silence: (i) =>
    i.uninstallSignalAt !== null
      ? {
          hoursSinceSignal: Math.max(
            0,
            Math.floor((Date.parse(i.asOf) - Date.parse(i.uninstallSignalAt)) / 3_600_000),
          ),
        }
      : undefined,
  short_term_inactive: (i, t) =>
    i.daysSinceLastSeen >= t.shortTermDays &&
    i.daysSinceLastSeen < t.longTermDays &&
    i.activeDays.d30 >= t.shortTermMinActiveDays30
      ? { days: i.daysSinceLastSeen, activeDays30: i.activeDays.d30 }
      : undefined,
  long_term_inactive: (i, t) =>
    i.daysSinceLastSeen >= t.longTermDays
      ? { days: i.daysSinceLastSeen, thresholdDays: t.longTermDays }
      : undefined,
  cart_abandoned: (i, t) => {
    const days = i.daysSinceLastCartAbandon;
    const unrecovered = i.daysSinceLastPurchase === null || (days ?? 0) < i.daysSinceLastPurchase;
    return days !== null &&
      unrecovered &&
      days >= t.cartAbandonRecoveryDays &&
      days <= CART_ABANDON_WINDOW_DAYS
      ? { days }
      : undefined;
  },
  complaint_then_silence: (i, t) =>
    i.lastGrievanceAt !== null &&
    i.lastGrievanceAt >= i.silenceSince &&
    i.daysSinceLastSeen >= t.complaintSilenceDays
      ? { days: i.daysSinceLastSeen }
      : undefined,
  slow_pages_then_decline: (i, t) =>
    i.slowPageLoads.count >= t.slowPageMinCount &&
    (i.slowPageLoads.share ?? 0) >= t.slowPageShare &&
    i.interaction.change !== null &&
    -i.interaction.change >= t.slowPageDropShare
      ? {
          slowPercent: Math.round((i.slowPageLoads.share ?? 0) * 100),
          dropPercent: Math.round(-i.interaction.change * 100),
        }
      : undefined,
  search_without_purchase: (i, t) =>
    i.searchesWithoutPurchase30d >= t.searchesWithoutPurchase
      ? { searches: i.searchesWithoutPurchase30d }
      : undefined,
};

/** The rules a user trips as of the indicators' moment, most severe first. */
export function evaluateRules(indicators: Indicators, config: RulesConfig = {}): RuleHit[] {
  const thresholds = thresholdsFor(config, indicators.lifecycleStage, indicators.valueTier);
  const hits: RuleHit[] = [];
  for (const id of RULE_IDS) {
    const setting = config.rules?.[id];
    if (setting?.enabled === false) continue;
    const params = checks[id](indicators, thresholds);
    if (!params) continue;
    const severity = setting?.severity ?? DEFAULT_SEVERITY[id];
    const damped =
      indicators.inPromotionDamping &&
      (setting?.dampedByPromotions ?? DEFAULT_DAMPED_BY_PROMOTIONS[id]);
    if (!damped) {
      hits.push({ code: id, severity, params });
      continue;
    }
    const lowered = ONE_STEP_LOWER[severity];
    if (lowered)
      hits.push({ code: id, severity: lowered, params: { ...params, promotionDamped: 1 } });
  }
  const rank: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };
  return hits.sort((a, b) => rank[a.severity] - rank[b.severity]);
}
