/**
 * The retention policy as data: an ordered list of rules, and the first rule whose match holds
 * decides what happens to a user at risk. Data rather than code so that a shop can change who
 * gets which message without a release, and so that a bad policy is refused once, at start, with
 * the exact place to fix — never discovered per message at three in the morning.
 */
import { z } from "zod";
import { CHANNELS, type Channel } from "../../../lib/topology.js";
import type { LifecycleStage, ValueTier } from "../indicators.js";
import { REASON_CODES, type ReasonCode } from "../reasons.js";
import { LIFECYCLE_STAGES, type RiskTier, VALUE_TIERS } from "../risk-tiers.js";
import type { Offer } from "./action-record.js";
import { parseConfig, shown, strictObject } from "./config-error.js";

/** The built-in message templates (their texts live with the template renderer). */
export const TEMPLATE_IDS = [
  "we_miss_you",
  "coupon_offer",
  "cart_reminder",
  "help_tutorial",
  "service_follow_up",
  "recommendation",
] as const;
export type TemplateId = (typeof TEMPLATE_IDS)[number];

const RISK_TIERS: readonly RiskTier[] = ["low", "medium", "high", "critical"];

/** What the policy sees of a user at risk: tiers and the leading reason, never behaviour data. */
export interface ActionContext {
  readonly valueTier: ValueTier;
  readonly riskTier: RiskTier;
  readonly lifecycleStage: LifecycleStage;
  /** The warning's first reason, or null when it has none. */
  readonly topReason: ReasonCode | null;
}

/** One arm of an experiment; `template` and `offer` override the rule's when given. */
export interface ActionVariant {
  readonly id: string;
  /** Relative share of the non-control users; any positive number. */
  readonly weight: number;
  readonly template?: string;
  /** `null` withdraws the rule's offer for this arm; left out keeps it. */
  readonly offer?: Offer | null;
}

export interface ExperimentSpec {
  /** Also the salt of the assignment: a new id reshuffles every user. */
  readonly id: string;
  /** Share of users deliberately not messaged, in [0, 0.9]. */
  readonly controlShare: number;
  readonly variants: readonly ActionVariant[];
}

/** Each list, when present, must contain the context's value; an absent list matches anything. */
export interface PolicyMatch {
  readonly valueTier?: readonly ValueTier[];
  readonly riskTier?: readonly RiskTier[];
  readonly lifecycleStage?: readonly LifecycleStage[];
  /** Matches only a warning that has a top reason, and only one of these. */
  readonly topReason?: readonly ReasonCode[];
}

/** A rule as parsed: every default filled in. */
export interface PolicyRule {
  readonly id: string;
  readonly match?: PolicyMatch;
  readonly channels: readonly Channel[];
  readonly template: string;
  readonly offer: Offer | null;
  readonly escalate: boolean;
  readonly cooldownDays: number;
  readonly campaign: string;
  readonly experiment?: ExperimentSpec;
}

export interface ActionDecision {
  /** The rule's `id`. */
  readonly ruleId: string;
  /** The cooldown key (default: the rule id); rules sharing it share one cooldown. */
  readonly campaign: string;
  /** Automated message channels in preference order; [] = no automated message. */
  readonly channels: readonly Channel[];
  readonly template: string;
  readonly offer: Offer | null;
  /** Alert marketing (human follow-up). */
  readonly escalate: boolean;
  /** Per-campaign cooldown. */
  readonly cooldownDays: number;
  readonly experiment: ExperimentSpec;
}

export interface RetentionPolicy {
  readonly rules: readonly PolicyRule[];
  /** The experiment of rules without their own. */
  readonly experiment: ExperimentSpec;
}

/** Cheapest first: an e-mail costs next to nothing, an SMS is paid per message. */
export const DEFAULT_CHANNEL_ORDER: readonly Channel[] = ["email", "push", "sms"];
export const DEFAULT_COOLDOWN_DAYS = 14;
export const MAX_COOLDOWN_DAYS = 365;
export const MAX_CONTROL_SHARE = 0.9;
export const MAX_POLICY_RULES = 200;

/** A tenth held out is enough to measure win-back on a few thousand warnings a month. */
export const DEFAULT_EXPERIMENT: ExperimentSpec = {
  id: "retention-default",
  controlShare: 0.1,
  variants: [{ id: "A", weight: 1 }],
};

/**
 * The policy of a shop that configures none, in order (first match wins; money in CNY):
 *
 * 1. `high-value-escalation` — high-value users at high or critical risk: marketing is alerted
 *    for a human follow-up and no automated message goes out (a personal call beats a coupon for
 *    the users who matter most, and two contacts at once would be one too many). 30-day cooldown.
 * 2. `complaint-follow-up` — top reason `complaint_then_silence`: `service_follow_up`.
 * 3. `help-tutorial` — top reason `slow_pages_then_decline` or `search_without_purchase`:
 *    `help_tutorial` (the user struggled; a discount does not fix a slow page).
 * 4. `cart-reminder` — top reason `cart_abandoned`: `cart_reminder`.
 * 5. `critical-coupon` — critical risk: `coupon_offer` of 20 CNY.
 * 6. `high-coupon` — high risk: `coupon_offer` of 10 CNY.
 * 7. `medium-win-back` — medium risk: `we_miss_you`.
 *
 * Low risk matches no rule: no action. Rules 2–4 apply from medium risk up, for the same reason.
 * The two coupon rules share the campaign `coupon` with a 30-day cooldown, so a user whose risk
 * climbs from high to critical does not collect a second coupon within the month. Every message
 * rule uses e-mail, then push, then SMS; the default experiment holds out 10 %.
 */
export const DEFAULT_RETENTION_POLICY: RetentionPolicy = {
  rules: [
    {
      id: "high-value-escalation",
      match: { valueTier: ["high"], riskTier: ["high", "critical"] },
      channels: [],
      // Not sent while channels is []; names the message marketing might follow up with.
      template: "we_miss_you",
      offer: null,
      escalate: true,
      cooldownDays: 30,
      campaign: "high-value-escalation",
    },
    messageRule("complaint-follow-up", "service_follow_up", {
      riskTier: ["medium", "high", "critical"],
      topReason: ["complaint_then_silence"],
    }),
    messageRule("help-tutorial", "help_tutorial", {
      riskTier: ["medium", "high", "critical"],
      topReason: ["slow_pages_then_decline", "search_without_purchase"],
    }),
    messageRule("cart-reminder", "cart_reminder", {
      riskTier: ["medium", "high", "critical"],
      topReason: ["cart_abandoned"],
    }),
    {
      ...messageRule("critical-coupon", "coupon_offer", { riskTier: ["critical"] }),
      offer: { amount: 20, currency: "CNY" },
      campaign: "coupon",
      cooldownDays: 30,
    },
    {
      ...messageRule("high-coupon", "coupon_offer", { riskTier: ["high"] }),
      offer: { amount: 10, currency: "CNY" },
      campaign: "coupon",
      cooldownDays: 30,
    },
    messageRule("medium-win-back", "we_miss_you", { riskTier: ["medium"] }),
  ],
  experiment: DEFAULT_EXPERIMENT,
};

function messageRule(id: string, template: TemplateId, match: PolicyMatch): PolicyRule {
  return {
    id,
    match,
    channels: DEFAULT_CHANNEL_ORDER,
    template,
    offer: null,
    escalate: false,
    cooldownDays: DEFAULT_COOLDOWN_DAYS,
    campaign: id,
  };
}

/** Whether every list the rule's match has contains the context's value. */
export function ruleMatches(rule: PolicyRule, context: ActionContext): boolean {
  const match = rule.match;
  if (match === undefined) return true;
  if (match.valueTier && !match.valueTier.includes(context.valueTier)) return false;
  if (match.riskTier && !match.riskTier.includes(context.riskTier)) return false;
  if (match.lifecycleStage && !match.lifecycleStage.includes(context.lifecycleStage)) return false;
  if (match.topReason) {
    if (context.topReason === null || !match.topReason.includes(context.topReason)) return false;
  }
  return true;
}

/**
 * What the first matching rule says, or undefined when no rule matches (no action, e.g. for a
 * low tier). A rule with no channels and no escalation still decides: it means "do nothing on
 * purpose", and the caller records which rule chose that.
 */
export function decideAction(
  policy: RetentionPolicy,
  context: ActionContext,
): ActionDecision | undefined {
  const rule = policy.rules.find((candidate) => ruleMatches(candidate, context));
  if (rule === undefined) return undefined;
  return {
    ruleId: rule.id,
    campaign: rule.campaign,
    channels: rule.channels,
    template: rule.template,
    offer: rule.offer,
    escalate: rule.escalate,
    cooldownDays: rule.cooldownDays,
    experiment: rule.experiment ?? policy.experiment,
  };
}

/** What a policy may refer to in this deployment. */
export interface PolicyReferences {
  readonly templates: readonly string[];
  readonly channels: readonly Channel[];
}

/*
 * IDs end up in ledger keys and metrics dimensions, so they are kept to a plain alphabet.
 */
const identifier = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, {
  error: (issue) =>
    `${shown(issue.input)} must be 1–64 letters, digits, "_", ".", ":" or "-", starting with a letter or digit`,
});

function member<const T extends string>(what: string, values: readonly T[]) {
  return z.enum(values as readonly T[] as [T, ...T[]], {
    error: (issue) => `unknown ${what} ${shown(issue.input)} (known: ${values.join(", ")})`,
  });
}

/** A match list: present means "one of these", so an empty one would never match. */
function matchList<T extends z.ZodType>(item: T, field: string) {
  return z
    .array(item)
    .min(1, `must not be empty (leave ${field} out to match every ${field})`)
    .optional();
}

const offerSchema = strictObject({
  amount: z
    .number()
    .gt(0, "must be greater than 0")
    .max(1_000_000, "must be at most 1000000 (major units, e.g. 20 for 20 CNY)"),
  currency: z.string().regex(/^[A-Z]{3}$/, {
    error: (issue) => `${shown(issue.input)} is not an ISO 4217 code such as CNY`,
  }),
}).nullable();

function uniqueBy<T>(what: string, key: (item: T) => string, field: string) {
  return (items: readonly T[], ctx: z.core.$RefinementCtx<readonly T[]>) => {
    const first = new Map<string, number>();
    items.forEach((item, index) => {
      const value = key(item);
      const earlier = first.get(value);
      if (earlier === undefined) {
        first.set(value, index);
      } else {
        ctx.addIssue({
          code: "custom",
          path: field ? [index, field] : [index],
          message: `${shown(value)} is already the ${what} of [${earlier}]`,
          input: value,
        });
      }
    });
  };
}

function policySchema(known: PolicyReferences) {
  const template = z.string().refine((id) => known.templates.includes(id), {
    error: (issue) =>
      `unknown template ${shown(issue.input)} (known: ${known.templates.join(", ")})`,
  });
  const channel = member("channel", CHANNELS).refine((name) => known.channels.includes(name), {
    error: (issue) =>
      `channel ${shown(issue.input)} is not available here (available: ${known.channels.join(", ") || "none"})`,
  });

  const variant = strictObject({
    id: identifier,
    weight: z.number().gt(0, "must be greater than 0").max(1_000_000, "must be at most 1000000"),
    template: template.optional(),
    offer: offerSchema.optional(),
  });

  const experiment = strictObject({
    id: identifier,
    controlShare: z
      .number()
      .min(0, "must be at least 0")
      .max(
        MAX_CONTROL_SHARE,
        `must be at most ${MAX_CONTROL_SHARE} (someone must get the message)`,
      ),
    variants: z
      .array(variant)
      .min(1, "must list at least one variant")
      .superRefine(uniqueBy("id", (v: { id: string }) => v.id, "id")),
  });

  const rule = strictObject({
    id: identifier,
    match: strictObject({
      valueTier: matchList(member("value tier", VALUE_TIERS), "valueTier"),
      riskTier: matchList(member("risk tier", RISK_TIERS), "riskTier"),
      lifecycleStage: matchList(member("lifecycle stage", LIFECYCLE_STAGES), "lifecycleStage"),
      topReason: matchList(member("reason code", REASON_CODES), "topReason"),
    }).optional(),
    channels: z.array(channel).superRefine(uniqueBy("channel", (c: Channel) => c, "")),
    template,
    offer: offerSchema.optional(),
    escalate: z.boolean().optional(),
    cooldownDays: z
      .number()
      .int("must be a whole number of days")
      .min(0, "must be at least 0")
      .max(MAX_COOLDOWN_DAYS, `must be at most ${MAX_COOLDOWN_DAYS}`)
      .optional(),
    campaign: identifier.optional(),
    experiment: experiment.optional(),
  })
    .superRefine((parsed, ctx) => {
      // The product promise: standard-tier users get automated messages only.
      if (parsed.escalate !== true) return;
      const tiers = parsed.match?.valueTier;
      if (tiers === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["escalate"],
          message:
            'a rule that escalates must match valueTier ["high"] (human follow-up is for high-value users; standard users get automated messages only)',
          input: parsed.escalate,
        });
        return;
      }
      const standard = tiers.indexOf("standard");
      if (standard >= 0) {
        ctx.addIssue({
          code: "custom",
          path: ["match", "valueTier", standard],
          message:
            '"standard" users are never escalated (human follow-up is for high-value users): match valueTier ["high"] only',
          input: "standard",
        });
      }
    })
    .transform(
      (parsed): PolicyRule => ({
        id: parsed.id,
        ...(parsed.match ? { match: parsed.match } : {}),
        channels: parsed.channels,
        template: parsed.template,
        offer: parsed.offer ?? null,
        escalate: parsed.escalate ?? false,
        cooldownDays: parsed.cooldownDays ?? DEFAULT_COOLDOWN_DAYS,
        campaign: parsed.campaign ?? parsed.id,
        ...(parsed.experiment ? { experiment: parsed.experiment } : {}),
      }),
    );

  return strictObject({
    rules: z
      .array(rule)
      .max(MAX_POLICY_RULES, `must have at most ${MAX_POLICY_RULES} rules`)
      .superRefine(uniqueBy("id", (r: PolicyRule) => r.id, "id")),
    experiment: experiment.optional(),
  }).transform(
    (parsed): RetentionPolicy => ({
      rules: parsed.rules,
      experiment: parsed.experiment ?? DEFAULT_EXPERIMENT,
    }),
  );
}

/**
 * Parses a policy (`{"rules": [...], "experiment"?: {...}}`) given as JSON text or as a value,
 * checking every reference against what this deployment has.
 *
 * A rule is `{ id, match?: { valueTier?, riskTier?, lifecycleStage?, topReason? }, channels,
 * template, offer?: {amount, currency} | null, escalate?, cooldownDays? (default 14), campaign?
 * (default: the id), experiment? }`.
 * @throws ActionConfigError naming the exact place, e.g.
 *   `policy.rules[1].match.riskTier[0]: unknown risk tier "severe" (known: low, medium, high, critical)`,
 *   `policy: not valid JSON: ...`.
 */
export function parseRetentionPolicy(
  raw: string | unknown,
  known: PolicyReferences,
): RetentionPolicy {
  return parseConfig(policySchema(known), raw, "policy");
}
