/**
 * Why a user is at risk, as stable codes a message, a dashboard and a marketing digest can all
 * render: the churn rules' own codes, and the codes the trained model's largest contributions
 * map to. Codes are an API — renaming one breaks templates and stored warnings.
 */
import { RULE_IDS, type Severity } from "./rules.js";

export const MODEL_REASON_CODES = [
  "inactive_for",
  "buying_less",
  "fewer_visits",
  "unlikely_to_return",
  "spending_less",
  "no_repeat_purchase",
] as const;
export type ModelReasonCode = (typeof MODEL_REASON_CODES)[number];

export const REASON_CODES = [...RULE_IDS, ...MODEL_REASON_CODES] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface Reason {
  readonly code: ReasonCode;
  readonly severity: Severity;
  readonly params: Readonly<Record<string, number>>;
}

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  low: 0,
  medium: 1,
  high: 2,
  critical: 3,
};

/** For telling a rule's own code from a model reason or a feature name. */
export const RULE_ID_SET: ReadonlySet<string> = new Set(RULE_IDS);
