import type { EventType } from "../domain/events.js";
import { type Warning, warningFor } from "../domain/retention.js";
import { assessRisk, isEscalation, type ScoringOptions } from "../domain/risk.js";
import type { FeatureStore, MessageQueue, ProfileScanner } from "../ports.js";

/**
 * Event types that can put a user at risk on their own. An uninstall signal leaves about 72 hours
 * to act (the reports), too little to wait for the nightly run: such users are scored as the
 * event arrives.
 */
export const REALTIME_TRIGGERS: ReadonlySet<EventType> = new Set([
  "uninstall",
  "push_token_invalid",
]);

export interface ArrivalTrigger {
  readonly appId: string;
  readonly userId: string;
  /** The event that triggered scoring: with it the warning's ID, so a redelivery sends nothing new. */
  readonly eventId: string;
}

/**
 * Scores the users a just-applied event may have put at risk, and warns those who entered a
 * higher tier, exactly like the scheduled run does (warning first, then the risk).
 */
export async function warnOnArrival(
  trigger: ArrivalTrigger,
  deps: {
    readonly profiles: Pick<FeatureStore, "getProfile"> & Pick<ProfileScanner, "saveRisk">;
    readonly warnings: MessageQueue<Warning>;
    readonly options: ScoringOptions;
    readonly now: Date;
  },
): Promise<boolean> {
  const profile = await deps.profiles.getProfile(trigger.appId, trigger.userId);
  if (!profile) return false;
  const risk = assessRisk(
    profile,
    deps.now.toISOString(),
    `realtime@${trigger.eventId}`,
    deps.options,
  );
  if (!isEscalation(profile.risk, risk)) return false;
  await deps.warnings.send([warningFor(trigger.appId, trigger.userId, risk)]);
  // Lost to a newer profile version: the next trigger or the nightly run stores it.
  await deps.profiles.saveRisk(profile, risk);
  return true;
}
