/**
 * Whether the pipeline has nothing left to do right now: no message waiting in a queue, no
 * poller holding a batch, and every in-flight message one a poller gave back after a failure
 * (it will be retried after its visibility timeout, which may be minutes: waiting for it would
 * make `score` hang on one poison message). DLQs are not work.
 */
import type { QueueSnapshot } from "./emulators/fauxqs.js";

export interface PollerActivity {
  readonly busy: boolean;
  readonly awaitingRetry: ReadonlySet<string>;
}

export interface QueueActivity {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  /** In-flight messages that failed and wait for their visibility timeout to retry. */
  readonly awaitingRetry: number;
}

export interface IdleReport {
  readonly idle: boolean;
  readonly busyPollers: number;
  readonly queues: Readonly<Record<string, QueueActivity>>;
}

export function assessIdle(
  queues: readonly { readonly key: string; readonly snapshot: QueueSnapshot | undefined }[],
  pollers: readonly PollerActivity[],
  now: number = Date.now(),
): IdleReport {
  const awaitingRetry = new Set<string>();
  for (const poller of pollers)
    for (const handle of poller.awaitingRetry) awaitingRetry.add(handle);
  const busyPollers = pollers.filter((poller) => poller.busy).length;
  let idle = busyPollers === 0;
  const report: Record<string, QueueActivity> = {};
  for (const { key, snapshot } of queues) {
    if (!snapshot) {
      report[key] = { visible: 0, inFlight: 0, delayed: 0, awaitingRetry: 0 };
      continue;
    }
    // A message whose visibility ran out is visible again, even if fauxqs has not noticed yet.
    const expired = snapshot.inFlight.filter((entry) => entry.visibilityDeadline <= now).length;
    const retrying = snapshot.inFlight.filter(
      (entry) => entry.visibilityDeadline > now && awaitingRetry.has(entry.receiptHandle),
    ).length;
    const activity: QueueActivity = {
      visible: snapshot.visible + expired,
      inFlight: snapshot.inFlight.length - expired,
      delayed: snapshot.delayed,
      awaitingRetry: retrying,
    };
    if (activity.visible > 0 || activity.delayed > 0 || activity.inFlight > retrying) idle = false;
    report[key] = activity;
  }
  return { idle, busyPollers, queues: report };
}
