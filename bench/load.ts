/**
 * A bounded load test of the ingestion API on loopback (RELIABILITY 23): local mode in this
 * process, a fixed number of concurrent clients posting 100-event batches for a fixed time, then
 * the time the pipeline needs to apply everything. It stops by itself and touches nothing but
 * 127.0.0.1. Run alone with `node local/run-ts.js bench/load.ts [--seconds S] [--clients N]`;
 * `npm run bench` runs it in a child process (local mode loads the handlers once per process).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { startLocal } from "../local/index.js";

const EVENTS_PER_BATCH = 100;
const USERS = 2000;

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function batchBody(client: number, sequence: number, now: number): string {
  const events = Array.from({ length: EVENTS_PER_BATCH }, (_, i) => {
    const n = sequence * EVENTS_PER_BATCH + i;
    const purchase = n % 10 === 0;
    return {
      eventId: `load-${client}-${n}`,
      userId: `load-user-${(client * 7919 + n) % USERS}`,
      type: purchase ? "purchase" : "page_view",
      occurredAt: new Date(now - (n % 86_400) * 1000).toISOString(),
      ...(purchase
        ? { properties: { orderId: `o-${client}-${n}`, amount: 25, currency: "CNY" } }
        : {}),
    };
  });
  return JSON.stringify({ events });
}

export interface LoadResult {
  readonly seconds: number;
  readonly clients: number;
  readonly requests: number;
  readonly acceptedEvents: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number };
  readonly drainMs: number;
  readonly appliedEvents: number;
}

export async function runLoad(seconds: number, clients: number): Promise<LoadResult> {
  const dataDir = await mkdtemp(join(tmpdir(), "churnwatch-load-"));
  const local = await startLocal({
    port: 0,
    dataDir,
    schedules: false,
    throttle: false,
    logLevel: "silent",
  });
  try {
    const latencies: number[] = [];
    const failures: Record<string, number> = {};
    let acceptedEvents = 0;
    const deadline = performance.now() + seconds * 1000;
    const now = Date.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let sequence = 0; performance.now() < deadline; sequence += 1) {
          const started = performance.now();
          try {
            const response = await fetch(`${local.url}/v1/events`, {
              method: "POST",
              headers: { "x-api-key": local.apiKey, "content-type": "application/json" },
              body: batchBody(client, sequence, now),
            });
            const body = (await response.json()) as { accepted?: number };
            latencies.push(performance.now() - started);
            if (response.status === 202) acceptedEvents += body.accepted ?? 0;
            else failures[String(response.status)] = (failures[String(response.status)] ?? 0) + 1;
          } catch (error) {
            const name = error instanceof Error ? error.name : "error";
            failures[name] = (failures[name] ?? 0) + 1;
          }
        }
      }),
    );
    const drainStarted = performance.now();
    await local.waitForIdle(300_000);
    const drainMs = performance.now() - drainStarted;
    const stats = await local.stats();
    latencies.sort((a, b) => a - b);
    return {
      seconds,
      clients,
      requests: latencies.length,
      acceptedEvents,
      failures,
      latencyMs: {
        p50: quantile(latencies, 0.5),
        p95: quantile(latencies, 0.95),
        p99: quantile(latencies, 0.99),
      },
      drainMs,
      appliedEvents: stats.events,
    };
  } finally {
    await local.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function formatLoad(result: LoadResult): string {
  const postedPerSecond = result.acceptedEvents / result.seconds;
  const endToEnd = result.acceptedEvents / (result.seconds + result.drainMs / 1000);
  const failures = Object.entries(result.failures)
    .map(([kind, count]) => `${kind}: ${count}`)
    .join(", ");
  return [
    `ingestion load on loopback: ${result.clients} clients, ${result.seconds} s, ${EVENTS_PER_BATCH}-event batches over ${USERS} users`,
    `  requests ${result.requests}, events accepted ${result.acceptedEvents} (${postedPerSecond.toFixed(0)}/s), failures ${failures || "none"}`,
    `  latency per batch: p50 ${result.latencyMs.p50.toFixed(1)} ms, p95 ${result.latencyMs.p95.toFixed(1)} ms, p99 ${result.latencyMs.p99.toFixed(1)} ms`,
    `  pipeline drained ${(result.drainMs / 1000).toFixed(1)} s after the last request; events applied ${result.appliedEvents} of ${result.acceptedEvents}; ${endToEnd.toFixed(0)} events/s end to end`,
    `  accepted ÷ applied = ${(result.appliedEvents / Math.max(1, result.acceptedEvents)).toFixed(3)} (1.000: nothing lost, nothing counted twice)`,
    "",
  ].join("\n");
}

if (process.argv[1]?.endsWith("load.ts")) {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "10" },
      clients: { type: "string", default: "8" },
    },
  });
  const seconds = Number(values.seconds);
  const clients = Number(values.clients);
  if (
    !Number.isInteger(seconds) ||
    seconds < 1 ||
    seconds > 300 ||
    !Number.isInteger(clients) ||
    clients < 1 ||
    clients > 64
  ) {
    process.stderr.write("load: --seconds must be 1..300 and --clients 1..64\n");
    process.exit(2);
  }
  const result = await runLoad(seconds, clients);
  process.stdout.write(formatLoad(result));
  process.exit(
    result.appliedEvents === result.acceptedEvents && Object.keys(result.failures).length === 0
      ? 0
      : 1,
  );
}
