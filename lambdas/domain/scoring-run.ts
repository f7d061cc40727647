import { z } from "zod";

/**
 * A scheduled run is keyed by the job name and the schedule's time, so EventBridge delivering the
 * same tick twice dispatches once (RELIABILITY 8).
 */
export function scoringRunId(job: string, scheduledTime: string): string {
  return `${job}@${new Date(scheduledTime).toISOString()}`;
}

export const scoringJobSchema = z.object({
  runId: z.string().min(1),
  asOf: z.iso.datetime({ offset: true }),
  segment: z.number().int().nonnegative(),
  totalSegments: z.number().int().positive(),
});

export function segmentJobs(runId: string, asOf: string, totalSegments: number) {
  return Array.from({ length: totalSegments }, (_, segment) => ({
    runId,
    asOf,
    segment,
    totalSegments,
  }));
}
