/**
 * The messages that travel between scoring, planning and the channel senders. They carry IDs and
 * reasons, never addresses: senders read contact data themselves at send time, so an opt-out or
 * an erasure that happens while a message waits in a queue still wins.
 */
import { z } from "zod";
import type { Channel } from "../../lib/topology.js";
import type { Offer } from "./actions/action-record.js";
import { REASON_CODES } from "./reasons.js";
import type { RiskAssessment } from "./risk.js";

const reasonSchema = z.object({
  code: z.enum(REASON_CODES),
  severity: z.enum(["low", "medium", "high", "critical"]),
  params: z.record(z.string(), z.number()),
});

export const warningSchema = z.object({
  v: z.literal(1),
  warningId: z.string().min(1),
  appId: z.string().min(1),
  userId: z.string().min(1),
  runId: z.string().min(1),
  asOf: z.string(),
  tier: z.enum(["low", "medium", "high", "critical"]),
  score: z.number().min(0).max(1),
  reasons: z.array(reasonSchema),
  /** Who the user is to the business; the policy decides by them. Absent in older warnings. */
  valueTier: z.enum(["high", "standard"]).optional(),
  lifecycleStage: z.enum(["new", "growth", "mature"]).optional(),
  /** Spend in the last 365 days, minor units of the base currency (for marketing's summary). */
  valueMinor: z.number().int().nonnegative().optional(),
});

export type Warning = z.infer<typeof warningSchema>;

export function warningFor(appId: string, userId: string, risk: RiskAssessment): Warning {
  return {
    v: 1,
    // Deterministic, so a redelivered scoring segment yields the same warning and senders dedupe it.
    warningId: `${risk.runId}|${appId}|${userId}|${risk.tier}`,
    appId,
    userId,
    runId: risk.runId,
    asOf: risk.asOf,
    tier: risk.tier,
    score: risk.score,
    reasons: risk.reasons.map((reason) => ({ ...reason, params: { ...reason.params } })),
    ...(risk.valueTier ? { valueTier: risk.valueTier } : {}),
    ...(risk.lifecycleStage ? { lifecycleStage: risk.lifecycleStage } : {}),
    ...(risk.valueMinor !== undefined
      ? { valueMinor: Math.max(0, Math.round(risk.valueMinor)) }
      : {}),
  };
}

export const retentionMessageSchema = z.object({
  v: z.literal(1),
  warningId: z.string().min(1),
  appId: z.string().min(1),
  userId: z.string().min(1),
  channel: z.enum(["sms", "email", "push"]),
  /** (warning, channel, step): the same key never sends twice. */
  dedupeKey: z.string().min(1),
  reasons: z.array(reasonSchema),
  plannedAt: z.string(),
  /** The warning's logical time: win-back windows start here. */
  asOf: z.string().optional(),
  /** What the policy chose; absent in messages planned before policies existed. */
  template: z.string().min(1).optional(),
  offer: z
    .object({ amount: z.number().positive(), currency: z.string().min(1) })
    .nullable()
    .optional(),
  /** The cooldown key and its length: one campaign does not write to a user twice in a row. */
  campaign: z.string().min(1).optional(),
  cooldownDays: z.number().int().nonnegative().optional(),
});

export type RetentionMessage = z.infer<typeof retentionMessageSchema>;

/** What the policy decided to send, as the message carries it. */
export interface MessageChoice {
  readonly template: string;
  readonly offer: Offer | null;
  readonly campaign: string;
  readonly cooldownDays: number;
}

export const DEFAULT_CAMPAIGN = "retention";

export function retentionMessageFor(
  warning: Warning,
  channel: Channel,
  now: Date,
  choice?: MessageChoice,
): RetentionMessage {
  return {
    v: 1,
    warningId: warning.warningId,
    appId: warning.appId,
    userId: warning.userId,
    channel,
    dedupeKey: `${warning.warningId}|${channel}|step1`,
    reasons: warning.reasons,
    plannedAt: now.toISOString(),
    asOf: warning.asOf,
    ...(choice
      ? {
          template: choice.template,
          offer: choice.offer,
          campaign: choice.campaign,
          cooldownDays: choice.cooldownDays,
        }
      : {}),
  };
}
