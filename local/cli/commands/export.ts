/** `churnwatch export`: per-user model inputs from the running local mode, as CSV. */
import { rename, writeFile } from "node:fs/promises";
import { LocalModeError, UsageError } from "../../errors.js";
import { ExportQueryError, parseCalibrationEnd } from "../../export.js";
import { formatCount } from "../../replay/progress.js";
import { defineCommand, noPositionals, stringFlag } from "../command.js";
import type { CliIo } from "../io.js";
import { serverUnreachable } from "../local-client.js";
import { parseServerFlags, serverFlagsHelp } from "../server-flags.js";

export const EXPORT_FORMATS = ["btyd-cbs"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  readonly format: ExportFormat;
  readonly calibrationEnd: string;
  readonly userPrefix?: string;
  readonly out?: string;
  readonly url: string;
  readonly apiKey: string;
}

/** Rows and Σx of a btyd-cbs CSV, for the line on stderr. */
function describeCsv(csv: string): { rows: number; sumX: number } {
  let rows = 0;
  let sumX = 0;
  for (const line of csv.split("\n").slice(1)) {
    if (line === "") continue;
    rows += 1;
    // cust may be quoted and hold commas; x, t_x and T are the last three fields.
    sumX += Number(line.split(",").at(-3));
  }
  return { rows, sumX };
}

export const exportCommand = defineCommand<ExportOptions>({
  name: "export",
  summary: "write per-user model inputs (BTYD x, t_x, T) from local mode as CSV",
  help: `Usage: churnwatch export --format btyd-cbs --calibration-end YYYY-MM-DD [--user-prefix P]
                         [--out FILE] [--url URL] [--api-key KEY]

Reads every user profile of the API key's app from a running local mode (\`npm start\`) and
writes one CSV row per user who purchased on or before the calibration end.

btyd-cbs: the inputs of buy-till-you-die models (Pareto/NBD, BG/NBD), as BTYD's
cdnowSummary$cbs holds them. Header cust,x,t_x,T:
  cust  the user ID (without --user-prefix)
  x     repeat purchase-days on or before the calibration end: purchases on one day count
        once, and the first purchase-day is time 0, not counted
  t_x   weeks from the first to the last purchase-day (days / 7)
  T     weeks from the first purchase-day to the calibration end (days / 7)
Days are the users' local calendar days. Weeks are printed as the shortest decimal that reads
back as the same double (213/7 → 30.428571428571427). Rows are sorted by cust, numbers in it
compared as numbers (2 before 10).

Options:
  --format F            btyd-cbs (the only one so far; the default)
  --calibration-end D   last day of the calibration period, inclusive (YYYY-MM-DD)
  --user-prefix P       only users whose ID starts with P, written without it; after
                        \`replay --format cdnow\` of CDNOW_sample.txt: --user-prefix cdnow-sample-
  --out FILE            write the CSV to FILE (default: stdout)
${serverFlagsHelp(24)}
  -h, --help            show this help

Example (the CDNOW sample, calibration period of 39 weeks):
  npx churnwatch replay ../shared/data/cdnow/CDNOW_sample.txt --format cdnow --currency USD
  npx churnwatch export --format btyd-cbs --calibration-end 1997-09-30 \\
    --user-prefix cdnow-sample- --out cbs.csv
`,
  options: {
    format: { type: "string" },
    "calibration-end": { type: "string" },
    "user-prefix": { type: "string" },
    out: { type: "string" },
    url: { type: "string" },
    "api-key": { type: "string" },
  },
  parse(values, positionals, env) {
    noPositionals("export", positionals);
    const format = stringFlag(values, "format") ?? "btyd-cbs";
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(
        `churnwatch export: --format must be ${EXPORT_FORMATS.join(", ")}, got "${format}"`,
      );
    }
    const calibrationEnd = stringFlag(values, "calibration-end");
    if (calibrationEnd === undefined) {
      throw new UsageError(
        "churnwatch export: --calibration-end YYYY-MM-DD is required (the last day counted)",
      );
    }
    try {
      parseCalibrationEnd(calibrationEnd);
    } catch (error) {
      if (error instanceof ExportQueryError) {
        throw new UsageError(`churnwatch export: --calibration-end: ${error.message}`);
      }
      throw error;
    }
    const out = stringFlag(values, "out");
    if (out !== undefined && out.trim() === "") {
      throw new UsageError("churnwatch export: --out needs a file name");
    }
    const userPrefix = stringFlag(values, "user-prefix");
    const server = parseServerFlags("export", values, env);
    return {
      format: format as ExportFormat,
      calibrationEnd,
      ...(userPrefix ? { userPrefix } : {}),
      ...(out !== undefined ? { out } : {}),
      url: server.url,
      apiKey: server.apiKey,
    };
  },
  async run(options: ExportOptions, io: CliIo) {
    const query = new URLSearchParams({ calibrationEnd: options.calibrationEnd });
    if (options.userPrefix) query.set("userPrefix", options.userPrefix);
    const path = `/_local/export/${options.format}?${query}`;
    let response: Response;
    try {
      response = await fetch(`${options.url}${path}`, {
        headers: { "x-api-key": options.apiKey },
      });
    } catch (error) {
      throw serverUnreachable(options.url, error);
    }
    const text = await response.text();
    if (response.status === 401) {
      throw new LocalModeError(
        `the server at ${options.url} refused the API key: pass --api-key or set CHURNWATCH_API_KEY`,
        1,
      );
    }
    if (response.status === 404) {
      throw new LocalModeError(
        `${options.url} has no ${path.split("?")[0]}: export needs churnwatch local mode (\`npm start\`)`,
        1,
      );
    }
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: print the text as it came
      }
      throw new LocalModeError(
        `churnwatch export: the server answered ${response.status}: ${message}`,
        1,
      );
    }
    const { rows, sumX } = describeCsv(text);
    if (options.out) {
      // Whole or not at all: a stopped export never leaves half a file behind.
      const partial = `${options.out}.partial`;
      await writeFile(partial, text);
      await rename(partial, options.out);
    } else {
      io.stdout(text);
    }
    const profiles = response.headers.get("x-churnwatch-profiles");
    io.stderr(
      `${formatCount(rows)} users with a purchase by ${options.calibrationEnd}${
        profiles
          ? ` (of ${formatCount(Number(profiles))} profiles${options.userPrefix ? ` under ${options.userPrefix}` : ""})`
          : ""
      }, Σx = ${formatCount(sumX)}${options.out ? ` → ${options.out}` : ""}\n`,
    );
    return 0;
  },
});
