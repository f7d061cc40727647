/** The event EventBridge sends a scheduled rule's target; `time` is the run's as-of time. */
import { randomUUID } from "node:crypto";
import type { ScheduledEvent } from "aws-lambda";

export interface ScheduledEventInput {
  readonly ruleName: string;
  readonly time: Date;
  readonly region: string;
  readonly account: string;
  readonly id?: string;
}

/** EventBridge times have whole seconds: `2024-05-01T02:00:00Z`. */
export function eventBridgeTime(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}

export function buildScheduledEvent(
  input: ScheduledEventInput,
): ScheduledEvent<Record<string, never>> {
  return {
    version: "0",
    id: input.id ?? randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: input.account,
    time: eventBridgeTime(input.time),
    region: input.region,
    resources: [`arn:aws:events:${input.region}:${input.account}:rule/${input.ruleName}`],
    detail: {},
  };
}
