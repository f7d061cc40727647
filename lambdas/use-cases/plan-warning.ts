import type { Channel } from "../../lib/topology.js";
import type { ActionRecords, AlertClaims } from "../action-ports.js";
import type { ActionOutcome, ActionRecord } from "../domain/actions/action-record.js";
import { assignGroup } from "../domain/actions/experiments.js";
import { consentGuard, contactabilityGuard } from "../domain/actions/guards.js";
import {
  type ActionDecision,
  decideAction,
  type RetentionPolicy,
} from "../domain/actions/policy.js";
import type { ContactRecord } from "../domain/contact.js";
import { alertFor } from "../domain/marketing.js";
import { retentionMessageFor, type Warning } from "../domain/retention.js";
import type { MarketingNotifier } from "../marketing-ports.js";
import type { ContactStore, ErasureRegistry, RetentionPublisher } from "../ports.js";

export interface PlanDeps {
  readonly contacts: ContactStore;
  readonly publisher: RetentionPublisher;
  readonly actions: ActionRecords;
  readonly alerts: AlertClaims;
  readonly marketing: MarketingNotifier;
  readonly erasures: ErasureRegistry;
  readonly policy: RetentionPolicy;
  readonly baseCurrency: string;
  readonly now: () => Date;
}

export type PlanResult = ActionOutcome | "erased" | "already-planned";

/** The first channel of the policy's order the user consented to and can be reached on. */
function reachableChannel(
  contact: ContactRecord | undefined,
  channels: readonly Channel[],
): Channel | undefined {
  return channels.find(
    (channel) =>
      consentGuard(contact, channel).verdict === "allow" &&
      contactabilityGuard(contact, channel).verdict === "allow",
  );
}

/**
 * Turns one warning into what the policy says: a message on the first reachable channel, a
 * marketing alert for a high-value user, or deliberately nothing for the experiment's control
 * group — and records which, so win-back can be measured for every group alike.
 *
 * Consent and contactability are checked here to pick the channel; they, quiet hours and the
 * caps are checked again by the sender at send time, since all of it may change while the
 * message waits in its queue. A redelivered warning finds its record and does nothing.
 */
export async function planWarning(warning: Warning, deps: PlanDeps): Promise<PlanResult> {
  const { appId, userId, warningId } = warning;
  if (await deps.actions.hasAction(appId, userId, warningId)) return "already-planned";
  const contact = await deps.contacts.get(appId, userId);
  if (!contact && (await deps.erasures.erasedAt([warning])).size > 0) return "erased";

  const valueTier = warning.valueTier ?? "standard";
  const lifecycleStage = warning.lifecycleStage ?? "growth";
  const topReason = warning.reasons[0]?.code ?? null;
  const decision = decideAction(deps.policy, {
    valueTier,
    riskTier: warning.tier,
    lifecycleStage,
    topReason,
  });
  const base = {
    appId,
    userId,
    warningId,
    runId: warning.runId,
    asOf: warning.asOf,
    plannedAt: deps.now().toISOString(),
    tier: warning.tier,
    score: warning.score,
    valueTier,
    lifecycleStage,
    topReason,
  };
  const record = (
    fields: Partial<ActionRecord> & Pick<ActionRecord, "outcome">,
    chosen?: ActionDecision,
  ): ActionRecord => ({
    ...base,
    ruleId: chosen?.ruleId ?? null,
    campaign: chosen?.campaign ?? null,
    experimentId: chosen?.experiment.id ?? null,
    group: null,
    variant: null,
    template: null,
    offer: null,
    channel: null,
    reason: null,
    escalated: false,
    ...fields,
  });

  if (!decision) {
    await deps.actions.putAction(record({ outcome: "no_action", reason: "no_policy_rule" }));
    return "no_action";
  }
  const assignment = assignGroup(appId, userId, decision.experiment);
  if (assignment.group === "control") {
    await deps.actions.putAction(record({ outcome: "control", group: "control" }, decision));
    return "control";
  }
  const template = assignment.variant.template ?? decision.template;
  const offer = assignment.variant.offer !== undefined ? assignment.variant.offer : decision.offer;
  const chosen = { group: "variant" as const, variant: assignment.variant.id, template, offer };

  // A claim held already means an earlier delivery of this warning sent the alert.
  const escalated = decision.escalate;
  if (decision.escalate && (await deps.alerts.claim(appId, userId, warningId))) {
    try {
      await deps.marketing.notify(
        alertFor({
          appId,
          userId,
          warningId,
          runId: warning.runId,
          asOf: warning.asOf,
          valueMinor: warning.valueMinor ?? 0,
          currency: deps.baseCurrency,
          tier: warning.tier,
          score: warning.score,
          reasons: warning.reasons,
          lifecycleStage,
        }),
      );
    } catch (error) {
      // Unclaimed, the redelivered warning alerts again instead of never.
      await deps.alerts.unclaim(appId, userId, warningId);
      throw error;
    }
  }

  if (decision.channels.length === 0) {
    const outcome: ActionOutcome = escalated ? "escalated" : "no_action";
    await deps.actions.putAction(record({ outcome, escalated, ...chosen }, decision));
    return outcome;
  }
  const channel = reachableChannel(contact, decision.channels);
  if (!channel) {
    await deps.actions.putAction(
      record(
        { outcome: "suppressed", reason: "no_consented_channel", escalated, ...chosen },
        decision,
      ),
    );
    return "suppressed";
  }
  await deps.publisher.publish(
    retentionMessageFor(warning, channel, deps.now(), {
      template,
      offer,
      campaign: decision.campaign,
      cooldownDays: decision.cooldownDays,
    }),
  );
  await deps.actions.putAction(
    record({ outcome: "published", channel, escalated, ...chosen }, decision),
  );
  return "published";
}
