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

/** A queue's message counts, as SQS's approximate attributes give them: cheap at any depth. */
export interface QueueCounts {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

/**
 * What is known about one queue: its snapshot (every in-flight receipt handle, needed to tell a
 * failed message waiting for its retry from one being worked on), or only its counts.
 */
export interface QueueReading {
  readonly key: string;
  readonly snapshot: QueueSnapshot | undefined;
  readonly counts?: QueueCounts;
}

export interface QueueReader {
  counts(): Promise<QueueCounts | undefined>;
  snapshot(): Promise<QueueSnapshot | undefined>;
}

/**
 * Reads a queue for an idle check. A snapshot copies every message the queue holds, which with a
 * backlog of hundreds of thousands takes seconds of the process's only thread (the pollers' and
 * the API's); so the counts come first, and a queue with messages waiting (or delayed) is busy
 * on those alone. Only a queue whose messages are all in flight, or that is empty, is snapshot.
 */
export async function readQueueForIdle(key: string, reader: QueueReader): Promise<QueueReading> {
  const counts = await reader.counts();
  if (counts && (counts.visible > 0 || counts.delayed > 0)) {
    return { key, snapshot: undefined, counts };
  }
  return { key, snapshot: await reader.snapshot() };
}

export function assessIdle(
  queues: readonly QueueReading[],
  pollers: readonly PollerActivity[],
  now: number = Date.now(),
): IdleReport {
  const awaitingRetry = new Set<string>();
  for (const poller of pollers)
    for (const handle of poller.awaitingRetry) awaitingRetry.add(handle);
  const busyPollers = pollers.filter((poller) => poller.busy).length;
  let idle = busyPollers === 0;
  const report: Record<string, QueueActivity> = {};
  for (const { key, snapshot, counts } of queues) {
    if (!snapshot) {
      // Counts alone cannot tell a given-back message from one being worked on: any message
      // counts as work.
      const activity = { visible: 0, inFlight: 0, delayed: 0, ...counts, awaitingRetry: 0 };
      if (activity.visible > 0 || activity.inFlight > 0 || activity.delayed > 0) idle = false;
      report[key] = activity;
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
