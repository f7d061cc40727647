/**
 * The seed churn rule of the walking skeleton: a user with no activity for N days (30 by
 * default, as the reports' "30 days without login") is at risk. Later rules and models add
 * reasons; the shape of an assessment stays.
 */
export type RiskLevel = "none" | "at_risk";

export interface RiskReason {
  /** Stable code; user-facing texts are rendered from it. */
  readonly code: "inactive_days";
  readonly params: Readonly<Record<string, number | string>>;
}

export interface RiskAssessment {
  readonly atRisk: boolean;
  readonly level: RiskLevel;
  readonly reasons: readonly RiskReason[];
  readonly asOf: string;
  readonly runId: string;
}

const DAY_MS = 86_400_000;

export function daysBetween(fromIso: string, toIso: string): number {
  return Math.floor((Date.parse(toIso) - Date.parse(fromIso)) / DAY_MS);
}

export function assessInactivity(
  lastSeenAt: string,
  asOf: string,
  runId: string,
  inactivityDays: number,
): RiskAssessment {
  const daysInactive = daysBetween(lastSeenAt, asOf);
  const atRisk = daysInactive >= inactivityDays;
  return {
    atRisk,
    level: atRisk ? "at_risk" : "none",
    reasons: atRisk
      ? [{ code: "inactive_days", params: { days: daysInactive, thresholdDays: inactivityDays } }]
      : [],
    asOf,
    runId,
  };
}

const LEVEL_ORDER: Readonly<Record<RiskLevel, number>> = { none: 0, at_risk: 1 };

/** A warning goes out only when a user enters a higher level, never again for the same one. */
export function isEscalation(previous: RiskAssessment | undefined, next: RiskAssessment): boolean {
  return LEVEL_ORDER[next.level] > LEVEL_ORDER[previous?.level ?? "none"];
}
