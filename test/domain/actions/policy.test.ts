/**
 * The retention policy: what the default decides for each kind of user, first-match order, and
 * that every mistake a shop can make in its own policy is refused with the exact place.
 */
import { describe, expect, it } from "vitest";
import { ActionConfigError } from "../../../lambdas/domain/actions/config-error.js";
import {
  type ActionContext,
  DEFAULT_EXPERIMENT,
  DEFAULT_RETENTION_POLICY,
  decideAction,
  type PolicyReferences,
  parseRetentionPolicy,
  TEMPLATE_IDS,
} from "../../../lambdas/domain/actions/policy.js";
import { REASON_CODES } from "../../../lambdas/domain/reasons.js";
import { LIFECYCLE_STAGES, VALUE_TIERS } from "../../../lambdas/domain/risk-tiers.js";
import { CHANNELS } from "../../../lib/topology.js";

const known: PolicyReferences = { templates: TEMPLATE_IDS, channels: CHANNELS };

function context(overrides: Partial<ActionContext> = {}): ActionContext {
  return {
    valueTier: "standard",
    riskTier: "medium",
    lifecycleStage: "mature",
    topReason: null,
    ...overrides,
  };
}

function refusal(raw: unknown, references = known): string {
  try {
    parseRetentionPolicy(raw, references);
  } catch (error) {
    expect(error).toBeInstanceOf(ActionConfigError);
    return (error as Error).message;
  }
  throw new Error("expected the policy to be refused");
}

const rule = { id: "r", channels: ["email"], template: "we_miss_you" };

describe("the default policy", () => {
  it.each([
    [
      "high-value user at critical risk: marketing, no automated message",
      context({ valueTier: "high", riskTier: "critical", topReason: "cart_abandoned" }),
      { ruleId: "high-value-escalation", escalate: true, channels: [], offer: null },
    ],
    [
      "high-value user at high risk",
      context({ valueTier: "high", riskTier: "high" }),
      { ruleId: "high-value-escalation", escalate: true, channels: [] },
    ],
    [
      "high-value user at medium risk gets the standard treatment",
      context({ valueTier: "high", riskTier: "medium" }),
      { ruleId: "medium-win-back", escalate: false, template: "we_miss_you" },
    ],
    [
      "a complaint followed by silence",
      context({ riskTier: "critical", topReason: "complaint_then_silence" }),
      { ruleId: "complaint-follow-up", template: "service_follow_up", offer: null },
    ],
    [
      "slow pages",
      context({ topReason: "slow_pages_then_decline" }),
      { ruleId: "help-tutorial", template: "help_tutorial" },
    ],
    [
      "searching without buying",
      context({ riskTier: "high", topReason: "search_without_purchase" }),
      { ruleId: "help-tutorial", template: "help_tutorial" },
    ],
    [
      "an abandoned cart",
      context({ topReason: "cart_abandoned" }),
      { ruleId: "cart-reminder", template: "cart_reminder" },
    ],
    [
      "critical risk without a specific reason",
      context({ riskTier: "critical", topReason: "long_term_inactive" }),
      {
        ruleId: "critical-coupon",
        campaign: "coupon",
        template: "coupon_offer",
        offer: { amount: 20, currency: "CNY" },
      },
    ],
    [
      "high risk",
      context({ riskTier: "high" }),
      {
        ruleId: "high-coupon",
        campaign: "coupon",
        template: "coupon_offer",
        offer: { amount: 10, currency: "CNY" },
      },
    ],
    [
      "medium risk",
      context({ riskTier: "medium", topReason: "no_app_open" }),
      { ruleId: "medium-win-back", campaign: "medium-win-back", template: "we_miss_you" },
    ],
  ])("%s", (_, ctx, expected) => {
    const decision = decideAction(DEFAULT_RETENTION_POLICY, ctx);
    expect(decision).toMatchObject(expected);
    expect(decision?.experiment).toEqual(DEFAULT_EXPERIMENT);
  });

  it("takes no action at low risk, whatever the reason or value", () => {
    for (const valueTier of VALUE_TIERS) {
      for (const topReason of [null, ...REASON_CODES]) {
        expect(
          decideAction(
            DEFAULT_RETENTION_POLICY,
            context({ valueTier, riskTier: "low", topReason }),
          ),
        ).toBeUndefined();
      }
    }
  });

  it("messages cheapest channel first, and never escalates a standard-value user", () => {
    for (const lifecycleStage of LIFECYCLE_STAGES) {
      for (const riskTier of ["medium", "high", "critical"] as const) {
        for (const topReason of [null, ...REASON_CODES]) {
          const decision = decideAction(
            DEFAULT_RETENTION_POLICY,
            context({ valueTier: "standard", riskTier, lifecycleStage, topReason }),
          );
          expect(decision?.escalate).toBe(false);
          expect(decision?.channels).toEqual(["email", "push", "sms"]);
        }
      }
    }
  });

  it("holds out 10 % as control in the default experiment", () => {
    expect(DEFAULT_EXPERIMENT).toEqual({
      id: "retention-default",
      controlShare: 0.1,
      variants: [{ id: "A", weight: 1 }],
    });
  });

  it("passes its own validation unchanged", () => {
    expect(parseRetentionPolicy(DEFAULT_RETENTION_POLICY, known)).toEqual(DEFAULT_RETENTION_POLICY);
    expect(parseRetentionPolicy(JSON.stringify(DEFAULT_RETENTION_POLICY), known)).toEqual(
      DEFAULT_RETENTION_POLICY,
    );
  });

  it("is refused against a deployment that lacks one of its templates", () => {
    expect(
      refusal(DEFAULT_RETENTION_POLICY, {
        templates: TEMPLATE_IDS.filter((id) => id !== "cart_reminder"),
        channels: CHANNELS,
      }),
    ).toMatch(/^policy\.rules\[3\]\.template: unknown template "cart_reminder" \(known: /);
  });
});

describe("parsing a policy", () => {
  it("fills the defaults of a minimal rule", () => {
    const policy = parseRetentionPolicy(JSON.stringify({ rules: [rule] }), known);
    expect(policy).toEqual({
      rules: [
        {
          id: "r",
          channels: ["email"],
          template: "we_miss_you",
          offer: null,
          escalate: false,
          cooldownDays: 14,
          campaign: "r",
        },
      ],
      experiment: DEFAULT_EXPERIMENT,
    });
  });

  it("keeps every field a full rule gives", () => {
    const experiment = {
      id: "coupon-size",
      controlShare: 0.2,
      variants: [
        { id: "small", weight: 1, offer: { amount: 5, currency: "CNY" } },
        { id: "none", weight: 2, offer: null, template: "recommendation" },
      ],
    };
    const full = {
      id: "vip",
      match: {
        valueTier: ["high"],
        riskTier: ["critical"],
        lifecycleStage: ["mature", "growth"],
        topReason: ["cart_abandoned"],
      },
      channels: ["sms", "email"],
      template: "coupon_offer",
      offer: { amount: 50, currency: "EUR" },
      escalate: true,
      cooldownDays: 0,
      campaign: "vip-winback",
      experiment,
    };
    const policy = parseRetentionPolicy(
      { rules: [full], experiment: { ...experiment, id: "x" } },
      known,
    );
    expect(policy.rules[0]).toEqual(full);
    expect(policy.experiment.id).toBe("x");
  });

  it("allows a rule that does nothing on purpose, and it still decides", () => {
    const policy = parseRetentionPolicy(
      {
        rules: [
          { id: "hush", match: { lifecycleStage: ["new"] }, channels: [], template: "we_miss_you" },
          rule,
        ],
      },
      known,
    );
    expect(decideAction(policy, context({ lifecycleStage: "new" }))).toMatchObject({
      ruleId: "hush",
      channels: [],
      escalate: false,
    });
    expect(decideAction(policy, context({ lifecycleStage: "growth" }))?.ruleId).toBe("r");
  });

  it("lets the first matching rule decide, and a rule's experiment replace the default", () => {
    const experiment = { id: "e2", controlShare: 0, variants: [{ id: "B", weight: 3 }] };
    const policy = parseRetentionPolicy(
      {
        rules: [
          { ...rule, id: "first", match: { riskTier: ["high"] }, experiment },
          { ...rule, id: "second", match: { riskTier: ["high", "medium"] } },
        ],
      },
      known,
    );
    expect(decideAction(policy, context({ riskTier: "high" }))).toMatchObject({
      ruleId: "first",
      experiment,
    });
    expect(decideAction(policy, context({ riskTier: "medium" }))).toMatchObject({
      ruleId: "second",
      experiment: DEFAULT_EXPERIMENT,
    });
    expect(decideAction(policy, context({ riskTier: "low" }))).toBeUndefined();
  });

  it("matches a topReason rule only when the warning has that top reason", () => {
    const policy = parseRetentionPolicy(
      { rules: [{ ...rule, match: { topReason: ["cart_abandoned"] } }] },
      known,
    );
    expect(decideAction(policy, context({ topReason: "cart_abandoned" }))?.ruleId).toBe("r");
    expect(decideAction(policy, context({ topReason: "no_login" }))).toBeUndefined();
    expect(decideAction(policy, context({ topReason: null }))).toBeUndefined();
  });

  it.each([
    ["JSON syntax", "{rules: [", /^policy: not valid JSON: /],
    ["not an object", "[]", /^policy: must be an object, not a list$/],
    ["no rules", {}, /^policy\.rules: is required$/],
    [
      "an unknown top-level key",
      { rules: [], rule: [] },
      /^policy\.rule: is not a known key \(known: rules, experiment\)$/,
    ],
    [
      "an unknown template",
      { rules: [rule, { ...rule, id: "b", template: "x" }] },
      /^policy\.rules\[1\]\.template: unknown template "x" \(known: we_miss_you, coupon_offer, cart_reminder, help_tutorial, service_follow_up, recommendation\)$/,
    ],
    [
      "an unknown channel",
      { rules: [{ ...rule, channels: ["email", "fax"] }] },
      /^policy\.rules\[0\]\.channels\[1\]: unknown channel "fax" \(known: email, push, sms\)$/,
    ],
    [
      "the same channel twice",
      { rules: [{ ...rule, channels: ["email", "push", "email"] }] },
      /^policy\.rules\[0\]\.channels\[2\]: "email" is already the channel of \[0\]$/,
    ],
    [
      "a duplicate rule id",
      { rules: [rule, { ...rule, id: "s" }, { ...rule }] },
      /^policy\.rules\[2\]\.id: "r" is already the id of \[0\]$/,
    ],
    [
      "an unknown risk tier",
      { rules: [rule, { ...rule, id: "b", match: { riskTier: ["severe"] } }] },
      /^policy\.rules\[1\]\.match\.riskTier\[0\]: unknown risk tier "severe" \(known: low, medium, high, critical\)$/,
    ],
    [
      "an unknown value tier",
      { rules: [{ ...rule, match: { valueTier: ["high", "gold"] } }] },
      /^policy\.rules\[0\]\.match\.valueTier\[1\]: unknown value tier "gold" \(known: high, standard\)$/,
    ],
    [
      "an unknown lifecycle stage",
      { rules: [{ ...rule, match: { lifecycleStage: ["old"] } }] },
      /^policy\.rules\[0\]\.match\.lifecycleStage\[0\]: unknown lifecycle stage "old" \(known: new, growth, mature\)$/,
    ],
    [
      "an unknown reason code",
      { rules: [{ ...rule, match: { topReason: ["bored"] } }] },
      /^policy\.rules\[0\]\.match\.topReason\[0\]: unknown reason code "bored" \(known: no_app_open, /,
    ],
    [
      "an empty match list",
      { rules: [{ ...rule, match: { riskTier: [] } }] },
      /^policy\.rules\[0\]\.match\.riskTier: must not be empty \(leave riskTier out/,
    ],
    [
      "a misspelt match key",
      { rules: [{ ...rule, match: { tier: ["high"] } }] },
      /^policy\.rules\[0\]\.match\.tier: is not a known key \(known: valueTier, riskTier, lifecycleStage, topReason\)$/,
    ],
    [
      "a negative offer",
      { rules: [{ ...rule, offer: { amount: -5, currency: "CNY" } }] },
      /^policy\.rules\[0\]\.offer\.amount: must be greater than 0$/,
    ],
    [
      "an offer in no currency",
      { rules: [{ ...rule, offer: { amount: 5, currency: "yuan" } }] },
      /^policy\.rules\[0\]\.offer\.currency: "yuan" is not an ISO 4217 code such as CNY$/,
    ],
    [
      "a fractional cooldown",
      { rules: [{ ...rule, cooldownDays: 1.5 }] },
      /^policy\.rules\[0\]\.cooldownDays: must be a whole number of days$/,
    ],
    [
      "a negative cooldown",
      { rules: [{ ...rule, cooldownDays: -1 }] },
      /^policy\.rules\[0\]\.cooldownDays: must be at least 0$/,
    ],
    [
      "an id with a separator in it",
      { rules: [{ ...rule, id: "a|b" }] },
      /^policy\.rules\[0\]\.id: "a\|b" must be 1–64 letters/,
    ],
    [
      "a missing template",
      { rules: [{ id: "r", channels: [] }] },
      /^policy\.rules\[0\]\.template: is required$/,
    ],
    [
      "escalation without a value tier",
      { rules: [{ ...rule, escalate: true }] },
      /^policy\.rules\[0\]\.escalate: a rule that escalates must match valueTier \["high"\]/,
    ],
    [
      "escalation of standard-value users",
      { rules: [{ ...rule, escalate: true, match: { valueTier: ["high", "standard"] } }] },
      /^policy\.rules\[0\]\.match\.valueTier\[1\]: "standard" users are never escalated/,
    ],
    [
      "a control share above 0.9",
      { rules: [], experiment: { ...DEFAULT_EXPERIMENT, controlShare: 0.95 } },
      /^policy\.experiment\.controlShare: must be at most 0\.9/,
    ],
    [
      "a negative control share",
      { rules: [{ ...rule, experiment: { ...DEFAULT_EXPERIMENT, controlShare: -0.1 } }] },
      /^policy\.rules\[0\]\.experiment\.controlShare: must be at least 0$/,
    ],
    [
      "a zero weight",
      {
        rules: [
          {
            ...rule,
            experiment: {
              id: "e",
              controlShare: 0.1,
              variants: [
                { id: "A", weight: 1 },
                { id: "B", weight: 0 },
              ],
            },
          },
        ],
      },
      /^policy\.rules\[0\]\.experiment\.variants\[1\]\.weight: must be greater than 0$/,
    ],
    [
      "duplicate variant ids",
      {
        rules: [],
        experiment: {
          id: "e",
          controlShare: 0.1,
          variants: [
            { id: "A", weight: 1 },
            { id: "A", weight: 2 },
          ],
        },
      },
      /^policy\.experiment\.variants\[1\]\.id: "A" is already the id of \[0\]$/,
    ],
    [
      "a variant naming an unknown template",
      {
        rules: [],
        experiment: {
          id: "e",
          controlShare: 0.1,
          variants: [{ id: "A", weight: 1, template: "nope" }],
        },
      },
      /^policy\.experiment\.variants\[0\]\.template: unknown template "nope"/,
    ],
    [
      "an experiment without variants",
      { rules: [], experiment: { id: "e", controlShare: 0.1, variants: [] } },
      /^policy\.experiment\.variants: must list at least one variant$/,
    ],
  ])("refuses %s with the exact place", (_, raw, message) => {
    expect(refusal(raw)).toMatch(message);
  });

  it("refuses a channel this deployment does not have", () => {
    expect(
      refusal(
        { rules: [{ ...rule, channels: ["sms"] }] },
        { templates: TEMPLATE_IDS, channels: ["email"] },
      ),
    ).toBe('policy.rules[0].channels[0]: channel "sms" is not available here (available: email)');
  });

  it("accepts escalation of high-value users only", () => {
    const policy = parseRetentionPolicy(
      { rules: [{ ...rule, channels: [], escalate: true, match: { valueTier: ["high"] } }] },
      known,
    );
    expect(decideAction(policy, context({ valueTier: "high" }))?.escalate).toBe(true);
    expect(decideAction(policy, context({ valueTier: "standard" }))).toBeUndefined();
  });
});
