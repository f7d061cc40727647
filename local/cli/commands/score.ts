/** `churnwatch score`: a scoring run now, as of a given date, on the running local mode. */

import { renderRunSummary } from "../../../lambdas/domain/run-summary.js";
import type { RunSummary } from "../../../lambdas/ports.js";
import { AsOfError, parseAsOf } from "../../as-of.js";
import { LocalModeError, UsageError } from "../../errors.js";
import type { IdleReport } from "../../idle.js";
import { eventBridgeTime } from "../../schedule/scheduled-event.js";
import { apiKeyFromEnv, DEFAULT_API_KEY, DEFAULT_PORT } from "../../start-local.js";
import type { LocalStats } from "../../stats.js";
import { defineCommand, noPositionals, parsePort, stringFlag } from "../command.js";
import type { CliIo } from "../io.js";
import { LocalClient } from "../local-client.js";

export interface ScoreOptions {
  readonly asOf?: Date;
  readonly url: string;
  readonly apiKey: string;
  readonly json: boolean;
  readonly wait: boolean;
  readonly timeoutMs: number;
  readonly pollMs: number;
}

const SCHEDULE = "scoring";
const DEFAULT_TIMEOUT_MS = 60_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function normalizeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `churnwatch score: --url must be a URL such as http://127.0.0.1:3000, got "${raw}"`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `churnwatch score: --url must start with http:// or https://, got "${raw}"`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

/** Waits until the pipeline has settled (two idle readings in a row), or gives up. */
async function waitForIdle(client: LocalClient, options: ScoreOptions): Promise<IdleReport> {
  const deadline = Date.now() + options.timeoutMs;
  let quiet = 0;
  let report = await client.request<IdleReport>("GET", "/_local/idle");
  while (Date.now() < deadline) {
    quiet = report.idle ? quiet + 1 : 0;
    if (quiet >= 2) return report;
    await sleep(options.pollMs);
    report = await client.request<IdleReport>("GET", "/_local/idle");
  }
  return report;
}

function describeRun(result: unknown): string {
  if (typeof result !== "object" || result === null) return JSON.stringify(result);
  const { status, runId, segments } = result as Record<string, unknown>;
  const details = [
    runId !== undefined ? `run ${String(runId)}` : undefined,
    segments !== undefined ? `${String(segments)} segments` : undefined,
  ].filter(Boolean);
  return `${String(status ?? "done")}${details.length > 0 ? ` (${details.join(", ")})` : ""}`;
}

function describeStats(stats: LocalStats): string {
  const channels = Object.entries(stats.outbox.byChannel)
    .map(([channel, count]) => `${channel} ${count}`)
    .join(", ");
  return `users: ${stats.users} · at risk: ${stats.usersAtRisk} · outbox messages: ${stats.outbox.total}${
    channels ? ` (${channels})` : ""
  }`;
}

export const scoreCommand = defineCommand<ScoreOptions>({
  name: "score",
  summary: "run scoring now, as of a date, on the running local mode",
  help: `Usage: churnwatch score [--as-of DATE] [--url URL] [--api-key KEY] [--json] [--no-wait]

Waits until events already accepted have been applied, triggers the scoring schedule on a
running local mode (\`npm start\`) as if it fired at DATE, waits until the warnings it causes
have gone through the pipeline, and prints the run's summary (users scored, by tier, by reason,
old-schema records, duration, model versions) and users, users at risk and outbox messages.

Options:
  --as-of DATE     YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time (default: now)
  --url URL        the local mode's address (default: http://127.0.0.1:PORT, PORT else ${DEFAULT_PORT})
  --api-key KEY    default: CHURNWATCH_API_KEY, else ${DEFAULT_API_KEY}
  --json           print {asOf, run, idle, stats} as JSON
  --no-wait        dispatch at once and return (events still queued may miss the run)
  -h, --help       show this help
`,
  options: {
    "as-of": { type: "string" },
    url: { type: "string" },
    "api-key": { type: "string" },
    json: { type: "boolean" },
    "no-wait": { type: "boolean" },
  },
  parse(values, positionals, env) {
    noPositionals("score", positionals);
    const rawAsOf = stringFlag(values, "as-of");
    let asOf: Date | undefined;
    if (rawAsOf !== undefined) {
      try {
        asOf = parseAsOf(rawAsOf);
      } catch (error) {
        if (error instanceof AsOfError)
          throw new UsageError(`churnwatch score: --as-of: ${error.message}`);
        throw error;
      }
    }
    const rawUrl = stringFlag(values, "url");
    const port =
      env.PORT !== undefined && env.PORT.trim() !== ""
        ? parsePort(env.PORT, "churnwatch score: PORT")
        : DEFAULT_PORT;
    const url = normalizeUrl(rawUrl ?? `http://127.0.0.1:${port}`);
    const apiKey = stringFlag(values, "api-key") ?? apiKeyFromEnv(env) ?? DEFAULT_API_KEY;
    if (apiKey.trim() === "") throw new UsageError("churnwatch score: --api-key must not be empty");
    return {
      ...(asOf ? { asOf } : {}),
      url,
      apiKey,
      json: values.json === true,
      wait: values["no-wait"] !== true,
      timeoutMs: DEFAULT_TIMEOUT_MS,
      pollMs: 250,
    };
  },
  async run(options: ScoreOptions, io: CliIo) {
    const client = new LocalClient(options.url, options.apiKey);
    const asOf = eventBridgeTime(options.asOf ?? new Date());
    // Events just posted are still in the events queue: score them too, as a user expects.
    if (options.wait) {
      const settled = await waitForIdle(client, options);
      if (!settled.idle) {
        io.stderr(
          `churnwatch score: events are still being applied after ${options.timeoutMs / 1000} s; scoring what is there\n`,
        );
      }
    }
    const run = await client.request<unknown>("POST", `/_local/schedules/${SCHEDULE}/run`, {
      asOf,
    });
    if (!options.json) io.stdout(`scoring as of ${asOf}: ${describeRun(run)}\n`);

    let idle: IdleReport | undefined;
    if (options.wait) {
      idle = await waitForIdle(client, options);
      if (!idle.idle) {
        io.stderr(
          `churnwatch score: the pipeline is still busy after ${options.timeoutMs / 1000} s; the numbers below are not final\n`,
        );
      }
    }
    const stats = await client.request<LocalStats>("GET", "/_local/stats");
    const runId = (run as { runId?: unknown } | null)?.runId;
    const summary =
      typeof runId === "string"
        ? await client.request<RunSummary>("GET", `/_local/runs/${encodeURIComponent(runId)}`)
        : undefined;
    if (options.json) {
      io.stdout(
        `${JSON.stringify({ asOf, run, idle: idle?.idle ?? null, summary: summary ?? null, stats }, null, 2)}\n`,
      );
    } else {
      if (summary) io.stdout(`${renderRunSummary(summary)}\n`);
      io.stdout(`${describeStats(stats)}\n`);
      const deadLetters = Object.entries(stats.queues).filter(([, depth]) => depth.deadLetters > 0);
      if (deadLetters.length > 0) {
        io.stderr(
          `churnwatch score: messages in dead-letter queues: ${deadLetters
            .map(([queue, depth]) => `${queue} ${depth.deadLetters}`)
            .join(", ")}\n`,
        );
      }
    }
    if (idle && !idle.idle) throw new LocalModeError("scoring did not settle in time", 1);
    return 0;
  },
});
