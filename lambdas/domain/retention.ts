/**
 * The messages that travel between scoring, planning and the channel senders. They carry IDs and
 * reasons, never addresses: senders read contact data themselves at send time, so an opt-out or
 * an erasure that happens while a message waits in a queue still wins.
 */
import { z } from "zod";
import type { Channel } from "../../lib/topology.js";
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
});

export type RetentionMessage = z.infer<typeof retentionMessageSchema>;

export function retentionMessageFor(
  warning: Warning,
  channel: Channel,
  now: Date,
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
  };
}
