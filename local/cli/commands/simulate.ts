/** `churnwatch simulate`: a simulated shop with a known truth, posted to local mode (local/simulate/). */
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { dayKey, dayNumberOfKey } from "../../../lambdas/domain/calendar.js";
import { MAX_EVENTS_PER_BATCH } from "../../../lambdas/domain/events.js";
import { isCalendarDay } from "../../../lambdas/domain/promotions.js";
import { DEFAULT_CHURN_DAYS } from "../../../lambdas/domain/simulation/shop.js";
import {
  DEFAULT_WINBACK_WINDOW_DAYS,
  MAX_WINBACK_WINDOW_DAYS,
} from "../../../lambdas/domain/winback.js";
import { eventHorizonFromEnv } from "../../../lambdas/shared/config.js";
import { errorMessage, UsageError } from "../../errors.js";
import {
  runSimulate,
  type SimulateOptions,
  SUGGESTED_HORIZON_DAYS,
  type TreatmentOptions,
  winbackTruthFile,
} from "../../simulate/run-simulate.js";
import { defineCommand, noPositionals, type ParsedValues, stringFlag } from "../command.js";
import type { CliIo } from "../io.js";
import { intFlag, parseServerFlags, serverFlagsHelp } from "../server-flags.js";

const DAY_MS = 86_400_000;
export const MAX_SIMULATED_USERS = 1_000_000;
export const MAX_SIMULATED_DAYS = 3650;
export const DEFAULT_TRUTH_FILE = "./churnwatch-truth.csv";
const DEFAULT_WAIT_TIMEOUT_S = 120;

function usage(message: string): UsageError {
  return new UsageError(`churnwatch simulate: ${message}`);
}

function required(values: ParsedValues, name: string, what: string): void {
  if (stringFlag(values, name) === undefined) throw usage(`--${name} ${what} is required`);
}

function parseSeed(values: ParsedValues): number {
  const raw = stringFlag(values, "seed");
  if (raw === undefined) {
    throw usage("--seed S is required (an integer: the same seed gives the same shop)");
  }
  const seed = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(seed)) {
    throw usage(`--seed must be an integer, got "${raw}"`);
  }
  return seed;
}

/** A file to write: its directory must exist and the path must not be a directory. */
function writablePath(values: ParsedValues, name: string): string | undefined {
  const path = stringFlag(values, name);
  if (path === undefined) return undefined;
  if (path.trim() === "") throw usage(`--${name} needs a file name`);
  let directory = false;
  try {
    directory = statSync(path).isDirectory();
  } catch {
    // Not there yet: fine, it is written.
  }
  if (directory) throw usage(`--${name} ${path} is a directory, not a file`);
  try {
    if (!statSync(dirname(path)).isDirectory()) throw new Error("not a directory");
  } catch {
    throw usage(`--${name} ${path}: the directory ${dirname(path)} does not exist`);
  }
  return path;
}

/**
 * The first simulated day: --start, or today (UTC) minus --days so the last day is yesterday.
 * Refuses a period the ingestion API would refuse events of: not over yet (events from the
 * future) or starting before the event horizon.
 */
function parseStart(values: ParsedValues, days: number, env: NodeJS.ProcessEnv, now: Date): string {
  const today = Math.floor(now.getTime() / DAY_MS);
  const raw = stringFlag(values, "start");
  if (raw === undefined) return dayKey(today - days);
  if (!isCalendarDay(raw.trim())) {
    throw usage(`--start must be a calendar date YYYY-MM-DD, got "${raw}"`);
  }
  const first = dayNumberOfKey(raw.trim());
  const last = first + days - 1;
  if (last >= today) {
    throw usage(
      `--start ${dayKey(first)} with --days ${days} runs to ${dayKey(last)}, which is not over ` +
        `yet, and the API refuses events from the future: the last simulated day must be ` +
        `yesterday (${dayKey(today - 1)}) or earlier, so --start ${dayKey(today - days)} or ` +
        "earlier (or leave --start out)",
    );
  }
  let horizon: Date;
  try {
    horizon = eventHorizonFromEnv(env);
  } catch (error) {
    throw usage(errorMessage(error));
  }
  if (first * DAY_MS < horizon.getTime()) {
    throw usage(
      `--start ${dayKey(first)} is before the event horizon ${horizon.toISOString()}, and the ` +
        "API refuses events before it (EVENT_HORIZON sets it; local mode's must allow the " +
        "period too)",
    );
  }
  return dayKey(first);
}

/** Fewer simulated days than this before the treatment day give scoring too little history. */
export const MIN_DAYS_BEFORE_TREATMENT = 14;

function parseEffect(raw: string): number {
  const effect = Number(raw);
  if (!/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(raw.trim()) || !(effect >= 0 && effect <= 1)) {
    throw usage(
      `--treatment-effect must be a probability from 0 to 1 (e.g. 0.3: 30 % of the treated users who would not come back do), got "${raw}"`,
    );
  }
  return effect;
}

/**
 * --treatment-effect E [--treatment-at DAY] [--winback-window N]: the win-back window must end
 * by the last simulated day, and the treatment day leave some history before it.
 */
function parseTreatment(
  values: ParsedValues,
  start: string,
  days: number,
  truthFile: string,
): TreatmentOptions | undefined {
  const raw = stringFlag(values, "treatment-effect");
  if (raw === undefined) {
    for (const name of ["treatment-at", "winback-window"]) {
      if (stringFlag(values, name) !== undefined) {
        throw usage(`--${name} needs --treatment-effect E (a win-back experiment)`);
      }
    }
    return undefined;
  }
  const effect = parseEffect(raw);
  if (values["no-wait"] === true) {
    throw usage("--no-wait cannot go with --treatment-effect: scoring needs the events applied");
  }
  const windowDays = intFlag("simulate", values, "winback-window", {
    min: 1,
    max: MAX_WINBACK_WINDOW_DAYS,
    fallback: DEFAULT_WINBACK_WINDOW_DAYS,
  });
  const first = dayNumberOfKey(start);
  const last = first + days - 1;
  // The window is the local days after the treatment day, in zones ahead of UTC (the shop's).
  const latest = last - windowDays;
  const earliest = first + MIN_DAYS_BEFORE_TREATMENT;
  const rawAt = stringFlag(values, "treatment-at");
  if (rawAt !== undefined && !isCalendarDay(rawAt.trim())) {
    throw usage(`--treatment-at must be a calendar date YYYY-MM-DD, got "${rawAt}"`);
  }
  const at = rawAt === undefined ? latest : dayNumberOfKey(rawAt.trim());
  if (latest < earliest) {
    throw usage(
      `--days ${days} is too short for a ${windowDays}-day win-back window: it needs ${MIN_DAYS_BEFORE_TREATMENT} days before the treatment day and the ${windowDays} after it, so --days ${
        MIN_DAYS_BEFORE_TREATMENT + windowDays + 1
      } or more (or a shorter --winback-window)`,
    );
  }
  if (at < earliest || at > latest) {
    throw usage(
      `--treatment-at ${dayKey(at)} must be from ${dayKey(earliest)} (${MIN_DAYS_BEFORE_TREATMENT} days of history) to ${dayKey(
        latest,
      )} (its ${windowDays}-day window ends on the last simulated day, ${dayKey(last)})`,
    );
  }
  return { effect, at: dayKey(at), windowDays, truthJson: winbackTruthFile(truthFile) };
}

export function parseSimulateArgs(
  values: ParsedValues,
  positionals: readonly string[],
  env: NodeJS.ProcessEnv,
  now: Date = new Date(),
): SimulateOptions {
  noPositionals("simulate", positionals);
  required(values, "users", `N (1 to ${MAX_SIMULATED_USERS.toLocaleString("en-US")})`);
  const users = intFlag("simulate", values, "users", {
    min: 1,
    max: MAX_SIMULATED_USERS,
    fallback: 0,
  });
  required(values, "days", `D (1 to ${MAX_SIMULATED_DAYS})`);
  const days = intFlag("simulate", values, "days", {
    min: 1,
    max: MAX_SIMULATED_DAYS,
    fallback: 0,
  });
  const seed = parseSeed(values);
  const start = parseStart(values, days, env, now);
  const truthFile = writablePath(values, "truth") ?? DEFAULT_TRUTH_FILE;
  const eventsFile = writablePath(values, "events");
  const waitTimeoutS = intFlag("simulate", values, "wait-timeout", {
    min: 1,
    fallback: DEFAULT_WAIT_TIMEOUT_S,
  });
  const server = parseServerFlags("simulate", values, env);
  const treatment = parseTreatment(values, start, days, truthFile);
  return {
    users,
    days,
    seed,
    start,
    truthFile,
    ...(eventsFile !== undefined ? { eventsFile } : {}),
    url: server.url,
    apiKey: server.apiKey,
    defaultUrl: server.defaultUrl,
    json: values.json === true,
    wait: values["no-wait"] !== true,
    waitTimeoutMs: waitTimeoutS * 1000,
    batchSize: MAX_EVENTS_PER_BATCH,
    ...(treatment ? { treatment } : {}),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const simulateCommand = defineCommand<SimulateOptions>({
  name: "simulate",
  summary: "post a simulated shop with known churners to local mode, and write its truth",
  help: `Usage: churnwatch simulate --users N --days D --seed S [--start YYYY-MM-DD] [options]
       churnwatch simulate ... --treatment-effect E [--treatment-at YYYY-MM-DD] [--winback-window N]

Generates a shop whose users follow known behaviour types (loyal, declining, sudden_quitter,
promotion_hunter, seasonal, complainer), so churnwatch can be scored against a truth real
data never gives: who was really leaving, and when. Then, against a running local mode
(\`npm start\`):
  1. registers the shop's promotions (a 3-day sale every 30-45 days) as /_local/promotions,
  2. writes the events as JSONL and posts them through the API as \`churnwatch replay\` does
     (batches of ${MAX_EVENTS_PER_BATCH}, retries), waits until the pipeline has applied them,
  3. writes the ground truth CSV (userId,type,lastActiveDate,churnDate) for
     \`churnwatch evaluate --truth FILE\`, and prints a summary and the commands to run next.

A user has churned once inactive for ${DEFAULT_CHURN_DAYS} days and never back; the churn date is the
last active day + ${DEFAULT_CHURN_DAYS}. declining, sudden_quitter and complainer users churn; the others
do not, even when a promotion hunter or a seasonal user is silent for longer.

The same --users, --days, --seed and --start give the same shop, events and event IDs, so a
repeated run changes nothing (its events count as already known). Event and user IDs do not
depend on --start: simulate a different shop (another seed, start or length) into a fresh
local mode (restart \`npm start\`; without --data-dir its data is in memory), else its
promotions clash with the first shop's (exit 1) and its events would be dropped as known.

Size: about 1.2 events per user and day, 0.2 KB each as JSONL: 1,000 users × 180 days is
about 230,000 events (45 MB), 10,000 × 180 about 2.2 million (430 MB). Generating them takes
seconds; local mode applies a few hundred to a few thousand events a second, so a large shop
takes a while to settle.

Options:
  --users N           simulated users, 1 to ${MAX_SIMULATED_USERS.toLocaleString("en-US")} (required)
  --days D            simulated days, 1 to ${MAX_SIMULATED_DAYS} (required)
  --seed S            an integer: fixes every random choice (required)
  --start YYYY-MM-DD  the first simulated day (default: today, UTC, minus D days, so the last
                      day is yesterday). The API refuses events from the future and before
                      its event horizon (EVENT_HORIZON, default 1990-01-01): so is such a start.
  --truth FILE        the ground truth CSV to write (default ${DEFAULT_TRUTH_FILE})
  --events FILE       keep the generated events in FILE (JSONL; default: a temporary file,
                      removed afterwards, unless posting stopped and could be resumed)
${serverFlagsHelp(22)}
  --json              print the summary as JSON (progress still goes to stderr)
  --no-wait           return when the last batch is accepted: no applied count
  --wait-timeout S    stop waiting when the queues have not shrunk for S seconds (default ${DEFAULT_WAIT_TIMEOUT_S})
  -h, --help          show this help

Win-back experiment with a known effect:
  --treatment-effect E       E from 0 to 1: a user assigned to a variant of the retention
                             experiment who would not purchase in the win-back window on their
                             own does, with probability E (one extra visit with a purchase of
                             about their usual basket, on a random day of the window)
  --treatment-at YYYY-MM-DD  the treatment day: scoring runs as of its midnight UTC (default:
                             the last day that leaves the whole window inside the period,
                             start + D - 1 - N; at least ${MIN_DAYS_BEFORE_TREATMENT} days after the start)
  --winback-window N         the win-back window in days, as \`report --window-days\` (default
                             ${DEFAULT_WINBACK_WINDOW_DAYS}): a purchase on local days T+1 to T+N wins a user back

  With --treatment-effect, simulate runs the experiment through local mode's real path:
    1. every user gets a contact record with e-mail consent in their own time zone
       (PUT /v1/users/{id}/contact), so retention messages really go out,
    2. the events before the treatment day T are posted and applied,
    3. scoring runs as of T: warnings, the retention policy, the experiment's assignment
       (retention-default holds out 10 % as control, who get nothing) and the messages,
    4. who was targeted and in which arm is read back (GET /_local/actions),
    5. the events from T on are posted: each user's natural future, plus the purchases the
       treatment caused for variant users (intention to treat: every user assigned to a variant
       counts as treated, whatever the sender later did with the message — quiet hours defer
       it, a frequency cap or cooldown may drop it; the report measures the same way).
  Control users and users not targeted keep their natural future. The truth CSV then holds the
  users as they really lived; the win-back truth (FILE.winback.json next to --truth) has the
  assignment, the natural win-back rate p0 of the targeted users (both groups, from the
  simulator's knowledge of what each would have done untreated), the TRUE uplift E × (1 - p0)
  — the number the report's 95 % interval for a variant should cover — and the sample's
  realised rates per arm, which the report's point estimate reproduces. Then run the printed
  \`churnwatch report --experiment ... --window-days N --from T --to T\`.

Next (with D of 90 or more, printed with the dates filled in): train as of 60 days before the
end with a ${SUGGESTED_HORIZON_DAYS}-day horizon, then evaluate against the truth:
  npx churnwatch train --as-of <start+D-60> --horizon ${SUGGESTED_HORIZON_DAYS}
  npx churnwatch evaluate --calibration-end <start+D-61> --holdout-end <start+D-1> --truth FILE

Exit status: 0 when every event was posted and accepted and the pipeline settled; 1 when the
server refused a promotion or an event, posting stopped or the pipeline did not settle; 2 for
bad arguments; 130 when interrupted (Ctrl-C finishes the batch in hand first).

Examples:
  npx churnwatch simulate --users 1000 --days 180 --seed 42
  npx churnwatch simulate --users 2000 --days 60 --seed 7 --treatment-effect 0.3 --winback-window 14
`,
  options: {
    users: { type: "string" },
    days: { type: "string" },
    seed: { type: "string" },
    start: { type: "string" },
    truth: { type: "string" },
    events: { type: "string" },
    url: { type: "string" },
    "api-key": { type: "string" },
    json: { type: "boolean" },
    "no-wait": { type: "boolean" },
    "wait-timeout": { type: "string" },
    "treatment-effect": { type: "string" },
    "treatment-at": { type: "string" },
    "winback-window": { type: "string" },
  },
  parse: (values, positionals, env) => parseSimulateArgs(values, positionals, env),
  async run(options: SimulateOptions, io: CliIo) {
    const controller = new AbortController();
    const onSignal = () => {
      if (controller.signal.aborted) process.exit(130);
      io.stderr("\nstopping after the batch in hand (Ctrl-C again to stop now)…\n");
      controller.abort();
    };
    process.on("SIGINT", onSignal);
    try {
      const { exitCode } = await runSimulate(options, {
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
