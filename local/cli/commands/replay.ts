/** `churnwatch replay`: backfill a file of events through the API (see local/replay/). */
import { extname } from "node:path";
import { MAX_EVENTS_PER_BATCH } from "../../../lambdas/domain/events.js";
import { UsageError } from "../../errors.js";
import {
  CDNOW_DEFAULT_PREFIX,
  parseColumnMap,
  REPLAY_FORMATS,
  type ReplayFormat,
} from "../../replay/parsers.js";
import { checkReadableFile, type ReplayOptions, runReplay } from "../../replay/run-replay.js";
import { defineCommand, stringFlag } from "../command.js";
import type { CliIo } from "../io.js";
import { intFlag, parseServerFlags, serverFlagsHelp } from "../server-flags.js";

const DEFAULT_WAIT_TIMEOUT_S = 120;
const USER_ID_PREFIX = /^[A-Za-z0-9._:-]*$/;

function formatOf(file: string, flag: string | undefined): ReplayFormat {
  if (flag !== undefined) {
    if (!(REPLAY_FORMATS as readonly string[]).includes(flag)) {
      throw new UsageError(
        `churnwatch replay: --format must be ${REPLAY_FORMATS.join(", ")}, got "${flag}"`,
      );
    }
    return flag as ReplayFormat;
  }
  const extension = extname(file).toLowerCase();
  if (extension === ".jsonl" || extension === ".ndjson") return "jsonl";
  if (extension === ".csv") return "csv";
  throw new UsageError(
    `churnwatch replay: cannot tell the format of ${file}: pass --format ${REPLAY_FORMATS.join("|")}`,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const replayCommand = defineCommand<ReplayOptions>({
  name: "replay",
  summary: "backfill events from a file (JSONL, CSV, CDNOW) through the API",
  help: `Usage: churnwatch replay <file> [--format jsonl|csv|cdnow] [options]

Posts the events of a file through the API (POST /v1/events, as any client would) in batches,
then waits until local mode's pipeline has applied them and prints a summary. Safe to repeat:
every event carries a stable ID, so a second replay of the same file changes nothing and its
events are counted as duplicates.

Formats (default: from the extension, .jsonl/.ndjson or .csv):
  jsonl   one event object per line, as POST /v1/events takes them
  csv     a header row, then one event per row (a field cannot span lines). A column named
          like an event field maps to it; --map maps the others. A date without a time of
          day (YYYY-MM-DD or YYYYMMDD) means noon UTC.
  cdnow   CDNOW_sample.txt (master_id sample_id date cds dollars) or CDNOW_master.txt
          (header; customer_id date cds dollars), told apart by their columns. Each row is a
          purchase at noon UTC of its date (the data has no time zone), amount = dollars in
          --currency. User IDs: ${CDNOW_DEFAULT_PREFIX["cdnow-sample"]}<sample_id> (so they map back to the
          \`cust\` of BTYD's cdnowSummary) or ${CDNOW_DEFAULT_PREFIX["cdnow-master"]}<customer_id>, leading zeros dropped.

Options:
  --format F          jsonl, csv or cdnow
  --currency CODE     ISO 4217 code of the amounts: required for cdnow; for csv, the currency
                      of purchases, refunds and returns without a currency column
  --user-prefix P     prepended to every user ID (cdnow default: ${CDNOW_DEFAULT_PREFIX["cdnow-sample"]} or ${CDNOW_DEFAULT_PREFIX["cdnow-master"]};
                      --user-prefix "" for none)
  --map COL=FIELD,…   csv: which column holds which event field (the flag may repeat). Fields:
                      eventId userId type occurredAt orderId amount currency couponCode
                      durationSec ms page query resultCount productId rating timezone platform
                      deviceId region, properties.<name>, context.<name>
  --type TYPE         csv: the event type of every row, when no column holds it
  --batch-size N      events per request, 1-${MAX_EVENTS_PER_BATCH} (default ${MAX_EVENTS_PER_BATCH}; requests also stay under 1 MB)
  --from-line N       post from line N of the file on (1-based, header included): resumes a
                      replay that stopped; the summary of a stopped replay says which N
${serverFlagsHelp(22)}
  --json              print the summary as JSON (progress still goes to stderr)
  --no-wait           return when the last batch is accepted: no new/already-known counts
  --wait-timeout S    stop waiting when the queues have not shrunk for S seconds (default ${DEFAULT_WAIT_TIMEOUT_S})
  -h, --help          show this help

Event IDs: JSONL and CSV events keep their eventId. Where a line has none (and for every
CDNOW row) it is derived from the format, the line's content and how many identical lines
came before it, e.g. cdnow-sample-<32 hex>: the same file gives the same IDs on every replay,
and two identical rows stay two events. A derived purchase uses its event ID as orderId.

Counting: "accepted" means queued by the API; the features function applies events later and
drops any it applied before (its dedupe markers), which the API cannot see. So replay reads
local mode's stored event count (/_local/stats) before posting and again when the pipeline is
idle: the difference is "applied as new", and accepted − new − dead-lettered is "already
known", counted with the API's within-batch repeats as duplicates. Nothing else should post to
the same local mode meanwhile. Against a server without /_local (AWS) replay does not wait.

Retries: 429 (honouring Retry-After), 5xx, timeouts and network errors are retried with
backoff, events the API could not queue are sent again; any other error answer stops the
replay with the server's message and the --from-line to resume from.

Exit status: 0 when every line was posted and accepted and the pipeline settled; 1 when a
line did not parse or an event was rejected (both skipped and listed with line numbers in
the summary), the pipeline did not settle, or the server refused a batch; 2 for bad
arguments; 130 when interrupted (Ctrl-C finishes the batch in hand first).
`,
  options: {
    format: { type: "string" },
    currency: { type: "string" },
    "user-prefix": { type: "string" },
    map: { type: "string", multiple: true },
    type: { type: "string" },
    "batch-size": { type: "string" },
    "from-line": { type: "string" },
    url: { type: "string" },
    "api-key": { type: "string" },
    json: { type: "boolean" },
    "no-wait": { type: "boolean" },
    "wait-timeout": { type: "string" },
  },
  parse(values, positionals, env) {
    if (positionals.length === 0) {
      throw new UsageError("churnwatch replay: which file? churnwatch replay <file> [--format …]");
    }
    if (positionals.length > 1) {
      throw new UsageError(`churnwatch replay: unexpected argument "${positionals[1]}"`);
    }
    const file = positionals[0] as string;
    const format = formatOf(file, stringFlag(values, "format"));
    checkReadableFile(file);

    const currency = stringFlag(values, "currency");
    if (currency !== undefined && !/^[A-Z]{3}$/.test(currency)) {
      throw new UsageError(
        `churnwatch replay: --currency must be an ISO 4217 code such as USD, got "${currency}"`,
      );
    }
    if (format === "cdnow" && currency === undefined) {
      throw new UsageError(
        "churnwatch replay: --format cdnow needs --currency (the CDNOW amounts are US dollars: --currency USD)",
      );
    }
    if (format === "jsonl" && currency !== undefined) {
      throw new UsageError(
        "churnwatch replay: --currency applies to csv and cdnow; JSONL events carry their own",
      );
    }
    const rawMap = values.map;
    const mapEntries = Array.isArray(rawMap)
      ? rawMap.filter((entry): entry is string => typeof entry === "string")
      : [];
    const type = stringFlag(values, "type");
    if (format !== "csv" && (mapEntries.length > 0 || type !== undefined)) {
      throw new UsageError(
        `churnwatch replay: --map and --type apply to --format csv, not ${format}`,
      );
    }
    const map = parseColumnMap(mapEntries);
    const userPrefix = stringFlag(values, "user-prefix");
    if (userPrefix !== undefined && !USER_ID_PREFIX.test(userPrefix)) {
      throw new UsageError(
        `churnwatch replay: --user-prefix may hold only letters, digits and . _ : - (user IDs do), got "${userPrefix}"`,
      );
    }
    const batchSize = intFlag("replay", values, "batch-size", {
      min: 1,
      max: MAX_EVENTS_PER_BATCH,
      fallback: MAX_EVENTS_PER_BATCH,
    });
    const fromLine = intFlag("replay", values, "from-line", { min: 1, fallback: 1 });
    const waitTimeoutS = intFlag("replay", values, "wait-timeout", {
      min: 1,
      fallback: DEFAULT_WAIT_TIMEOUT_S,
    });
    const server = parseServerFlags("replay", values, env);
    return {
      file,
      format,
      ...(currency !== undefined ? { currency } : {}),
      ...(userPrefix !== undefined ? { userPrefix } : {}),
      ...(Object.keys(map).length > 0 ? { map } : {}),
      ...(type !== undefined ? { type } : {}),
      batchSize,
      fromLine,
      url: server.url,
      apiKey: server.apiKey,
      defaultUrl: server.defaultUrl,
      json: values.json === true,
      wait: values["no-wait"] !== true,
      waitTimeoutMs: waitTimeoutS * 1000,
    };
  },
  async run(options: ReplayOptions, io: CliIo) {
    const controller = new AbortController();
    const onSignal = () => {
      if (controller.signal.aborted) process.exit(130);
      io.stderr("\nstopping after the batch in hand (Ctrl-C again to stop now)…\n");
      controller.abort();
    };
    process.on("SIGINT", onSignal);
    try {
      const { exitCode } = await runReplay(options, {
        fetch,
        sleep,
        now: () => performance.now(),
        stdout: io.stdout,
        stderr: io.stderr,
        interactive: io.stderrIsTTY === true && !io.env.CI,
        signal: controller.signal,
      });
      return exitCode;
    } finally {
      process.off("SIGINT", onSignal);
    }
  },
});
