/**
 * SNS and SQS through fauxqs, in this process. `startFauxqs()` binds 0.0.0.0 with no way to
 * change it in 1.9.x, which would put an unauthenticated queue service (holding retention
 * messages) on every network the laptop joins; `buildApp()` is the same server, and we bind it to
 * the loopback interface ourselves.
 */
import { buildApp } from "fauxqs";

/** One queue's messages as fauxqs holds them, read without receiving (nothing changes). */
export interface QueueSnapshot {
  readonly name: string;
  readonly visible: number;
  readonly delayed: number;
  readonly inFlight: readonly {
    readonly receiptHandle: string;
    readonly visibilityDeadline: number;
  }[];
}

export interface QueueInspector {
  snapshot(queueName: string): Promise<QueueSnapshot | undefined>;
}

export interface FauxqsEmulator {
  readonly endpoint: string;
  readonly inspector: QueueInspector;
  stop(): Promise<void>;
}

interface InspectResponse {
  readonly name: string;
  readonly messages: {
    readonly ready: readonly unknown[];
    readonly delayed: readonly unknown[];
    readonly inflight: readonly { receiptHandle: string; visibilityDeadline: number }[];
  };
}

export async function startFauxqsEmulator(): Promise<FauxqsEmulator> {
  const app = buildApp({ logger: false });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  const inspector: QueueInspector = {
    // fauxqs' inspection route, injected in-process: no socket, no effect on visibility.
    async snapshot(queueName) {
      const response = await app.inject({
        method: "GET",
        url: `/_fauxqs/queues/${encodeURIComponent(queueName)}`,
      });
      if (response.statusCode === 404) return undefined;
      if (response.statusCode !== 200) {
        throw new Error(`fauxqs inspection of ${queueName} answered ${response.statusCode}`);
      }
      const body = response.json() as InspectResponse;
      return {
        name: body.name,
        visible: body.messages.ready.length,
        delayed: body.messages.delayed.length,
        inFlight: body.messages.inflight.map(({ receiptHandle, visibilityDeadline }) => ({
          receiptHandle,
          visibilityDeadline,
        })),
      };
    },
  };
  return {
    endpoint: address.replace("localhost", "127.0.0.1"),
    inspector,
    stop: async () => {
      await app.close();
    },
  };
}
