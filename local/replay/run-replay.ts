/**
 * `churnwatch replay`: reads a backfill file line by line, posts its events through the real API
 * (`POST /v1/events`, the same key and checks as any client) in batches, retries what the
 * server asks to retry, and, on local mode, waits until the pipeline has applied everything and
 * tells how many events were new and how many it already knew.
 *
 * Counting duplicates honestly: the API's `duplicates` only sees repeats inside one request.
 * An event replayed a second time is accepted (queued) again and dropped later by the features
 * function's dedupe marker, which no client sees. So replay reads the stored event count (sum of
 * the profiles' `eventCount`, from `/_local/stats`) before posting and after the pipeline is
 * idle: the difference is what was applied as new, and accepted − new − dead-lettered is what
 * the pipeline recognised as already applied. That holds while nothing else posts to the same
 * local mode during the replay.
 */
import { createReadStream, statSync } from "node:fs";
import { basename } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { MAX_BODY_BYTES } from "../../lib/topology.js";
import { callLocalMode } from "../cli/local-client.js";
import { UsageError } from "../errors.js";
import type { IdleReport } from "../idle.js";
import type { LocalStats } from "../stats.js";
import { createLineParser, type ReplayEvent, type ReplayFormat } from "./parsers.js";
import { formatCount, formatDuration, Progress } from "./progress.js";

export interface ReplayOptions {
  readonly file: string;
  readonly format: ReplayFormat;
  readonly currency?: string;
  readonly userPrefix?: string;
  readonly map?: Readonly<Record<string, string>>;
  readonly type?: string;
  /** Events per request, 1–500. */
  readonly batchSize: number;
  /** 1-based line of the file to start posting at (earlier lines are read, not posted). */
  readonly fromLine: number;
  readonly url: string;
  readonly apiKey: string;
  readonly json: boolean;
  /** Wait for the local pipeline to go idle and count new vs already applied events. */
  readonly wait: boolean;
  /** Give up waiting when the queues have not shrunk for this long. */
  readonly waitTimeoutMs: number;
  /** Whether --url is the default (the export hint leaves it out then). */
  readonly defaultUrl?: boolean;
}

export interface ReplayDeps {
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Redraw a progress bar (a terminal) instead of printing progress lines. */
  readonly interactive: boolean;
  readonly progressIntervalMs?: number;
  /** Ctrl-C: finish the batch in hand, print the summary and where to resume. */
  readonly signal?: AbortSignal;
  readonly pollMs?: number;
  readonly retry?: { readonly attempts: number; readonly baseMs: number; readonly maxMs: number };
  /** Per request. */
  readonly requestTimeoutMs?: number;
}

export interface ReasonCount {
  readonly reason: string;
  readonly count: number;
  /** The first few line numbers, ascending. */
  readonly lines: readonly number[];
  /** What was wrong on the first of them, when it says more than the reason. */
  readonly example?: string;
}

export interface PipelineOutcome {
  /** The pipeline went idle before the wait gave up. */
  readonly settled: boolean;
  /** From the end of posting to idle. */
  readonly settleMs: number;
  /** Events stored as new by the features function during the replay. */
  readonly applied: number;
  /** Accepted events the features function dropped because it had applied them before. */
  readonly alreadyKnown: number | null;
  /** Event messages that ended in the events dead-letter queue during the replay. */
  readonly deadLettered: number;
}

export interface ReplaySummary {
  readonly file: string;
  /** `cdnow-sample`, `cdnow-master`, `csv` or `jsonl`. */
  readonly kind: string;
  readonly fromLine: number;
  /** The last line read (the file's last line unless interrupted or aborted). */
  readonly lastLine: number;
  readonly linesRead: number;
  readonly eventsPosted: number;
  readonly derivedEventIds: number;
  readonly batches: number;
  readonly accepted: number;
  /** Repeats of an event ID inside one request (the API's count). */
  readonly duplicatesInBatch: number;
  /** duplicatesInBatch + pipeline.alreadyKnown. */
  readonly duplicates: number | null;
  readonly rejected: { readonly count: number; readonly reasons: readonly ReasonCount[] };
  readonly unparseable: { readonly count: number; readonly reasons: readonly ReasonCount[] };
  readonly retries: Readonly<Record<string, number>>;
  readonly postingMs: number;
  readonly elapsedMs: number;
  /** Events posted per second of posting. */
  readonly eventsPerSecond: number;
  /** Events applied (new or known) per second from start to a settled pipeline. */
  readonly endToEndEventsPerSecond: number | null;
  readonly pipeline: PipelineOutcome | null;
  /** Why the pipeline was not waited for, if it was not. */
  readonly pipelineNote?: string;
  readonly stopped?: { readonly reason: string; readonly resumeFromLine: number };
}

const MAX_EXAMPLE_LINES = 5;
const REQUEST_BUDGET_BYTES = MAX_BODY_BYTES - 4096;
const NOT_QUEUED_FIELD = "(event)";
const NOT_QUEUED_ROUNDS = 5;

/** A failure that ends the replay; the lines before `resumeFromLine` were all posted. */
class ReplayStopped extends Error {
  constructor(
    message: string,
    readonly resumeFromLine: number,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

class ReasonTally {
  private readonly byReason = new Map<
    string,
    { count: number; lines: number[]; example?: string }
  >();
  count = 0;

  add(reason: string, line: number, detail?: string): void {
    this.count += 1;
    const entry = this.byReason.get(reason) ?? { count: 0, lines: [] };
    entry.count += 1;
    if (entry.lines.length < MAX_EXAMPLE_LINES) entry.lines.push(line);
    if (entry.example === undefined && detail) entry.example = `line ${line}: ${detail}`;
    this.byReason.set(reason, entry);
  }

  list(): ReasonCount[] {
    return [...this.byReason.entries()]
      .map(([reason, { count, lines, example }]) => ({
        reason,
        count,
        lines: [...lines].sort((a, b) => a - b),
        ...(example ? { example } : {}),
      }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  }
}

/** The file's lines, `\n`-separated (a `\r` before it stays for the parser), with backpressure. */
async function* readLines(file: string): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  for await (const chunk of createReadStream(file)) {
    rest += decoder.write(chunk as Buffer);
    let start = 0;
    for (let end = rest.indexOf("\n"); end !== -1; end = rest.indexOf("\n", start)) {
      yield rest.slice(start, end);
      start = end + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.end();
  if (rest !== "") yield rest;
}

/**
 * Reads the start of the file with a throwaway parser, so a CSV header that does not fit the
 * mapping fails as a usage error (exit 2) before the server is asked anything.
 */
async function checkOptionsAgainstFile(options: ReplayOptions): Promise<void> {
  const parser = createLineParser(options);
  let line = 0;
  for await (const text of readLines(options.file)) {
    line += 1;
    if (parser.parse(text, line).kind !== "skip" || line >= 100) break;
  }
}

export async function countLines(file: string): Promise<number> {
  let lines = 0;
  let last = -1;
  for await (const chunk of createReadStream(file)) {
    const buffer = chunk as Buffer;
    for (let at = buffer.indexOf(10); at !== -1; at = buffer.indexOf(10, at + 1)) lines += 1;
    if (buffer.length > 0) last = buffer[buffer.length - 1] as number;
  }
  return last !== -1 && last !== 10 ? lines + 1 : lines;
}

/** Consecutive failed idle polls after which the server counts as gone. */
const MAX_FAILED_IDLE_POLLS = 5;

function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function messageOf(body: unknown): string {
  if (typeof body !== "object" || body === null) return "";
  const { message, errors } = body as { message?: unknown; errors?: unknown };
  const details = Array.isArray(errors)
    ? errors
        .map((error) => {
          const { field, message: text } = (error ?? {}) as { field?: unknown; message?: unknown };
          return [field, text].filter((part) => typeof part === "string").join(": ");
        })
        .filter(Boolean)
    : [];
  return [typeof message === "string" ? message : "", ...details].filter(Boolean).join("; ");
}

interface IngestAnswer {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: readonly {
    readonly index: number;
    readonly errors: readonly { readonly field?: string; readonly message?: string }[];
  }[];
}

function isIngestAnswer(body: unknown): body is IngestAnswer {
  if (typeof body !== "object" || body === null) return false;
  const { accepted, duplicates, rejected } = body as Record<string, unknown>;
  return (
    typeof accepted === "number" &&
    typeof duplicates === "number" &&
    Array.isArray(rejected) &&
    rejected.every(
      (entry) =>
        typeof entry === "object" &&
        entry !== null &&
        Number.isInteger((entry as { index?: unknown }).index) &&
        Array.isArray((entry as { errors?: unknown }).errors),
    )
  );
}

interface Pending {
  readonly events: ReplayEvent[];
  readonly lines: number[];
  bytes: number;
}

function queuedWork(report: IdleReport): number {
  return Object.values(report.queues).reduce(
    (sum, queue) => sum + queue.visible + queue.inFlight + queue.delayed,
    0,
  );
}

export async function runReplay(
  options: ReplayOptions,
  deps: ReplayDeps,
): Promise<{ summary: ReplaySummary; exitCode: number }> {
  const retry = deps.retry ?? { attempts: 8, baseMs: 500, maxMs: 30_000 };
  const requestTimeoutMs = deps.requestTimeoutMs ?? 120_000;
  const pollMs = deps.pollMs ?? 250;
  const headers = { "x-api-key": options.apiKey };

  const server = { url: options.url, apiKey: options.apiKey, fetch: deps.fetch };
  async function getJson(path: string): Promise<{ status: number; body: unknown }> {
    const { status, body } = await callLocalMode(server, "GET", path, undefined, requestTimeoutMs);
    return { status, body };
  }

  // Read the file once to know its length: the progress bar's total and --from-line's bound.
  const totalLines = await countLines(options.file);
  if (options.fromLine > Math.max(totalLines, 1)) {
    throw new UsageError(
      `churnwatch replay: --from-line ${options.fromLine} is past the end of ${basename(
        options.file,
      )} (${formatCount(totalLines)} lines)`,
    );
  }
  const parser = createLineParser(options);
  await checkOptionsAgainstFile(options);

  // Before anything is posted: is the server there, and is it local mode (for the counts)?
  let before: LocalStats | undefined;
  let pipelineNote: string | undefined;
  if (options.wait) {
    const stats = await getJson("/_local/stats");
    if (stats.status === 200) before = stats.body as LocalStats;
    else pipelineNote = `not waited for: ${options.url} has no /_local/stats (not local mode?)`;
  } else {
    await getJson("/health");
    pipelineNote = "not waited for (--no-wait)";
  }

  const startedAt = deps.now();
  const progress = new Progress(
    {
      write: deps.stderr,
      interactive: deps.interactive,
      now: deps.now,
      ...(deps.progressIntervalMs !== undefined ? { intervalMs: deps.progressIntervalMs } : {}),
    },
    totalLines - options.fromLine + 1,
  );
  const unparseable = new ReasonTally();
  const rejected = new ReasonTally();
  const retries: Record<string, number> = {};
  let linesRead = 0;
  let lastLine = options.fromLine - 1;
  let eventsPosted = 0;
  let derivedEventIds = 0;
  let batches = 0;
  let accepted = 0;
  let duplicatesInBatch = 0;
  let stopped: { reason: string; resumeFromLine: number } | undefined;
  let exitCode = 0;

  async function post(events: readonly ReplayEvent[], firstLine: number): Promise<IngestAnswer> {
    const body = JSON.stringify({ events });
    let lastProblem = "";
    for (let attempt = 0; attempt < retry.attempts; attempt += 1) {
      if (attempt > 0) {
        if (deps.signal?.aborted) throw new ReplayStopped("interrupted", firstLine, 130);
      }
      let response: Response | undefined;
      let waitMs: number | undefined;
      try {
        response = await deps.fetch(`${options.url}/v1/events`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        const code =
          cause?.code ?? (error instanceof Error && error.name === "TimeoutError" ? "timeout" : "");
        lastProblem = `network error${code ? ` (${code})` : ""}`;
        retries.network = (retries.network ?? 0) + 1;
      }
      if (response) {
        const text = await response.text();
        let parsed: unknown = null;
        try {
          parsed = text === "" ? null : JSON.parse(text);
        } catch {
          parsed = text;
        }
        if (response.status === 202 || response.status === 200) {
          if (!isIngestAnswer(parsed)) {
            throw new ReplayStopped(
              `POST /v1/events answered ${response.status} with a body that is not { accepted, duplicates, rejected }`,
              firstLine,
              1,
            );
          }
          return parsed;
        }
        const message = messageOf(parsed) || (typeof parsed === "string" ? parsed.trim() : "");
        if (response.status === 429 || response.status >= 500) {
          const key = response.status === 429 ? "429" : "5xx";
          retries[key] = (retries[key] ?? 0) + 1;
          lastProblem = `${response.status}${message ? `: ${message}` : ""}`;
          waitMs = retryAfterMs(response.headers.get("retry-after"), Date.now());
        } else if (response.status === 401) {
          throw new ReplayStopped(
            `the server at ${options.url} refused the API key: pass --api-key or set CHURNWATCH_API_KEY`,
            firstLine,
            1,
          );
        } else {
          throw new ReplayStopped(
            `POST /v1/events answered ${response.status}${message ? `: ${message}` : ""}`,
            firstLine,
            1,
          );
        }
      }
      if (attempt + 1 >= retry.attempts) break;
      const backoff =
        Math.min(retry.maxMs, retry.baseMs * 2 ** attempt) * (0.5 + Math.random() / 2);
      await deps.sleep(Math.min(60_000, Math.max(waitMs ?? 0, backoff)));
    }
    throw new ReplayStopped(
      `POST /v1/events kept failing after ${retry.attempts} attempts (last: ${lastProblem})`,
      firstLine,
      1,
    );
  }

  async function send(batch: Pending): Promise<void> {
    const firstLine = batch.lines[0] as number;
    let events = batch.events;
    let lines = batch.lines;
    batches += 1;
    eventsPosted += events.length;
    for (let round = 0; events.length > 0; round += 1) {
      const answer = await post(events, firstLine);
      accepted += answer.accepted;
      duplicatesInBatch += answer.duplicates;
      const again: number[] = [];
      for (const entry of answer.rejected) {
        const line = lines[entry.index];
        if (line === undefined) continue;
        const errors = entry.errors ?? [];
        // "could not be queued, send it again": the server asks for exactly that.
        const notQueued =
          errors.length > 0 && errors.every((error) => error.field === NOT_QUEUED_FIELD);
        if (notQueued && round + 1 < NOT_QUEUED_ROUNDS) {
          again.push(entry.index);
          continue;
        }
        const reason =
          errors
            .map((error) => [error.field, error.message].filter(Boolean).join(": "))
            .join("; ") || "rejected";
        rejected.add(reason, line);
      }
      if (again.length === 0) break;
      retries.notQueued = (retries.notQueued ?? 0) + again.length;
      events = again.map((index) => events[index] as ReplayEvent);
      lines = again.map((index) => lines[index] as number);
      await deps.sleep(Math.min(retry.maxMs, retry.baseMs * 2 ** round));
    }
  }

  let pending: Pending = { events: [], lines: [], bytes: 0 };
  const flush = async () => {
    if (pending.events.length === 0) return;
    const batch = pending;
    pending = { events: [], lines: [], bytes: 0 };
    await send(batch);
    progress.update(linesRead, eventsPosted);
  };

  try {
    let line = 0;
    for await (const text of readLines(options.file)) {
      line += 1;
      // Earlier lines are parsed too, so a resumed run derives the same IDs as a full one.
      const result = parser.parse(text, line);
      if (line < options.fromLine) continue;
      if (pending.events.length === 0 && deps.signal?.aborted) {
        throw new ReplayStopped("interrupted", line, 130);
      }
      linesRead += 1;
      lastLine = line;
      if (result.kind === "skip") continue;
      if (result.kind === "error") {
        unparseable.add(result.reason, line, result.detail);
        continue;
      }
      const bytes = Buffer.byteLength(JSON.stringify(result.event)) + 1;
      if (bytes > REQUEST_BUDGET_BYTES) {
        unparseable.add("the event is larger than the API's 1 MB request limit", line);
        continue;
      }
      if (pending.bytes + bytes > REQUEST_BUDGET_BYTES) await flush();
      if (result.derivedId) derivedEventIds += 1;
      pending.events.push(result.event);
      pending.lines.push(line);
      pending.bytes += bytes;
      if (pending.events.length >= options.batchSize) await flush();
    }
    await flush();
    progress.update(linesRead, eventsPosted, true);
  } catch (error) {
    if (!(error instanceof ReplayStopped)) {
      progress.done();
      throw error;
    }
    stopped = { reason: error.message, resumeFromLine: error.resumeFromLine };
    exitCode = error.exitCode;
    // The failed batch's lines were not (all) posted: they are where to resume.
    lastLine = error.resumeFromLine - 1;
  }
  const postedAt = deps.now();

  let pipeline: PipelineOutcome | null = null;
  let finishedAt: number | undefined;
  if (before && !stopped) {
    let settled = false;
    let quiet = 0;
    let least = Number.POSITIVE_INFINITY;
    let lastProgressAt = deps.now();
    let failedPolls = 0;
    for (;;) {
      let idle: Awaited<ReturnType<typeof getJson>>;
      try {
        idle = await getJson("/_local/idle");
        failedPolls = 0;
      } catch (error) {
        // A busy local mode may drop one poll (a reset, a timeout); the events are posted and
        // still being applied, so keep waiting unless the server is really gone.
        failedPolls += 1;
        if (failedPolls >= MAX_FAILED_IDLE_POLLS) throw error;
        await deps.sleep(pollMs);
        continue;
      }
      const report = idle.body as IdleReport;
      if (idle.status !== 200 || typeof report?.idle !== "boolean") break;
      quiet = report.idle ? quiet + 1 : 0;
      if (quiet >= 2) {
        settled = true;
        break;
      }
      const work = queuedWork(report);
      if (work < least) {
        least = work;
        lastProgressAt = deps.now();
      } else if (deps.now() - lastProgressAt > options.waitTimeoutMs) {
        break;
      }
      progress.waiting(work, postedAt);
      await deps.sleep(pollMs);
    }
    // Idle (or given up): the stats scan below is bookkeeping, not pipeline time.
    finishedAt = deps.now();
    const after = (await getJson("/_local/stats")).body as LocalStats;
    const dead = (stats: LocalStats) => stats.queues?.events?.deadLetters ?? 0;
    const applied = after.events - before.events;
    const deadLettered = Math.max(0, dead(after) - dead(before));
    const known = accepted - applied - deadLettered;
    pipeline = {
      settled,
      settleMs: Math.round(finishedAt - postedAt),
      applied,
      // Negative means someone else wrote events meanwhile: then it cannot be told.
      alreadyKnown: settled && known >= 0 ? known : null,
      deadLettered,
    };
    if (!settled) exitCode = Math.max(exitCode, 1);
  }
  progress.done();

  finishedAt ??= deps.now();
  const postingMs = postedAt - startedAt;
  const elapsedMs = finishedAt - startedAt;
  if (unparseable.count > 0 || rejected.count > 0) exitCode = Math.max(exitCode, 1);
  const summary: ReplaySummary = {
    file: options.file,
    kind: parser.describe(),
    fromLine: options.fromLine,
    lastLine,
    linesRead,
    eventsPosted,
    derivedEventIds,
    batches,
    accepted,
    duplicatesInBatch,
    duplicates:
      pipeline && pipeline.alreadyKnown !== null ? duplicatesInBatch + pipeline.alreadyKnown : null,
    rejected: { count: rejected.count, reasons: rejected.list() },
    unparseable: { count: unparseable.count, reasons: unparseable.list() },
    retries,
    postingMs: Math.round(postingMs),
    elapsedMs: Math.round(elapsedMs),
    eventsPerSecond: postingMs > 0 ? Math.round((eventsPosted * 1000) / postingMs) : 0,
    endToEndEventsPerSecond:
      pipeline?.settled && elapsedMs > 0 ? Math.round((accepted * 1000) / elapsedMs) : null,
    pipeline,
    ...(pipelineNote ? { pipelineNote } : {}),
    ...(stopped ? { stopped } : {}),
  };
  if (options.json) deps.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  else deps.stdout(describeSummary(summary, options));
  return { summary, exitCode };
}

function describeReasons(reasons: readonly ReasonCount[]): string[] {
  return reasons.map((entry) => {
    const more = entry.count > entry.lines.length ? ", …" : "";
    const where = `line${entry.lines.length === 1 ? "" : "s"} ${entry.lines.join(", ")}${more}`;
    return `      ${formatCount(entry.count)} × ${entry.reason} (${where})${
      entry.example ? `\n        ${entry.example}` : ""
    }`;
  });
}

export function describeSummary(summary: ReplaySummary, options: ReplayOptions): string {
  const lines: string[] = [];
  const range =
    summary.lastLine >= summary.fromLine
      ? `lines ${formatCount(summary.fromLine)}–${formatCount(summary.lastLine)}`
      : "no lines";
  lines.push(`replay of ${basename(summary.file)} (${summary.kind}), ${range}`);
  lines.push(
    `  lines        ${formatCount(summary.linesRead)} read, ${formatCount(
      summary.unparseable.count,
    )} unparseable (skipped)`,
  );
  lines.push(...describeReasons(summary.unparseable.reasons));
  lines.push(
    `  events       ${formatCount(summary.eventsPosted)} posted in ${formatCount(
      summary.batches,
    )} batch${summary.batches === 1 ? "" : "es"}${
      summary.derivedEventIds > 0
        ? ` (${formatCount(summary.derivedEventIds)} event ID${
            summary.derivedEventIds === 1 ? "" : "s"
          } derived from the lines)`
        : ""
    }`,
  );
  lines.push(`  accepted     ${formatCount(summary.accepted)}`);
  lines.push(`  rejected     ${formatCount(summary.rejected.count)}`);
  lines.push(...describeReasons(summary.rejected.reasons));
  const pipeline = summary.pipeline;
  if (summary.duplicates !== null && pipeline) {
    lines.push(
      `  duplicates   ${formatCount(summary.duplicates)} (${formatCount(
        summary.duplicatesInBatch,
      )} repeated within a batch, ${formatCount(
        pipeline.alreadyKnown ?? 0,
      )} applied before and dropped by the pipeline)`,
    );
  } else {
    lines.push(
      `  duplicates   ${formatCount(summary.duplicatesInBatch)} repeated within a batch (repeats of earlier replays: not counted, see below)`,
    );
  }
  if (pipeline) {
    lines.push(
      `  pipeline     ${
        pipeline.settled
          ? `idle ${formatDuration(pipeline.settleMs)} after the last batch`
          : `still busy ${formatDuration(pipeline.settleMs)} after the last batch: the numbers are not final`
      }: ${formatCount(pipeline.applied)} applied as new, ${
        pipeline.alreadyKnown === null ? "?" : formatCount(pipeline.alreadyKnown)
      } already known, ${formatCount(pipeline.deadLettered)} dead-lettered`,
    );
  } else if (summary.pipelineNote) {
    lines.push(`  pipeline     ${summary.pipelineNote}`);
  }
  const retried = Object.entries(summary.retries);
  if (retried.length > 0) {
    lines.push(
      `  retries      ${retried.map(([why, count]) => `${formatCount(count)} × ${why}`).join(", ")}`,
    );
  }
  lines.push(
    `  throughput   ${formatCount(summary.eventsPerSecond)} events/s posted (${formatDuration(
      summary.postingMs,
    )})${
      summary.endToEndEventsPerSecond !== null
        ? `, ${formatCount(summary.endToEndEventsPerSecond)} events/s through the pipeline end to end (${formatDuration(
            summary.elapsedMs,
          )})`
        : ""
    }`,
  );
  if (summary.stopped) {
    lines.push(
      `stopped: ${summary.stopped.reason}\nresume with: --from-line ${summary.stopped.resumeFromLine}`,
    );
  } else if (summary.kind.startsWith("cdnow")) {
    const prefix = options.userPrefix ?? `${summary.kind}-`;
    lines.push(
      `user IDs are ${prefix}<${summary.kind === "cdnow-sample" ? "sample_id" : "customer_id"}>; BTYD inputs with the CDNOW calibration period:`,
      `  npx churnwatch export --format btyd-cbs --calibration-end 1997-09-30${
        prefix ? ` --user-prefix ${prefix}` : ""
      }${options.defaultUrl ? "" : ` --url ${options.url}`}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** For the command's parse step: the file must be there and be a file. */
export function checkReadableFile(file: string): void {
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `churnwatch replay: cannot read ${file}${code === "ENOENT" ? ": no such file" : ` (${code})`}`,
    );
  }
  if (!isFile) throw new UsageError(`churnwatch replay: ${file} is not a file`);
}
