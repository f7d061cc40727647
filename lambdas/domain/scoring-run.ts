import { z } from "zod";
import type { ThresholdTable } from "./risk-tiers.js";

/**
 * A scheduled run is keyed by the job name and the schedule's time, so EventBridge delivering the
 * same tick twice dispatches once (RELIABILITY 8).
 */
export function scoringRunId(job: string, scheduledTime: string): string {
  return `${job}@${new Date(scheduledTime).toISOString()}`;
}

const probability = z.number().min(0).max(1);
const boundariesSchema = z.object({
  medium: probability,
  high: probability,
  critical: probability,
});

export const scoringJobSchema = z.object({
  runId: z.string().min(1),
  asOf: z.iso.datetime({ offset: true }),
  segment: z.number().int().nonnegative(),
  totalSegments: z.number().int().positive(),
  /** Set once per run by the dispatcher, so every segment uses the same boundaries. */
  thresholds: z
    .object({
      default: boundariesSchema,
      cohorts: z.partialRecord(z.string(), boundariesSchema),
    })
    .optional(),
});

export type ScoringJobMessage = z.infer<typeof scoringJobSchema>;

export function segmentJobs(
  runId: string,
  asOf: string,
  totalSegments: number,
  thresholds?: ThresholdTable,
): ScoringJobMessage[] {
  return Array.from({ length: totalSegments }, (_, segment) => ({
    runId,
    asOf,
    segment,
    totalSegments,
    ...(thresholds ? { thresholds } : {}),
  }));
}
