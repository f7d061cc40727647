/** `churnwatch evaluate`: churnwatch's risk against what happened next, beside two baselines. */
import { resolve } from "node:path";
import { renderEvaluationText } from "../../../lambdas/domain/evaluation/report.js";
import type { StoreEvaluation } from "../../../lambdas/use-cases/evaluate-on-store.js";
import { UsageError } from "../../errors.js";
import { parseCalibrationEnd } from "../../export.js";
import { defineCommand, noPositionals, stringFlag } from "../command.js";
import type { CliIo } from "../io.js";
import { LocalClient } from "../local-client.js";
import { parseServerFlags, type ServerFlags, serverFlagsHelp } from "../server-flags.js";

export interface EvaluateOptions {
  readonly calibrationEnd: string;
  readonly holdoutEnd: string;
  readonly label: "activity" | "purchase";
  readonly userPrefix?: string;
  readonly truthFile?: string;
  readonly json: boolean;
  readonly server: ServerFlags;
}

function renderExtras(report: StoreEvaluation): string {
  const lines: string[] = [];
  if (report.leadTimeCoverage) {
    const { churners, warnedBefore } = report.leadTimeCoverage;
    lines.push(
      `churners in the holdout already at risk on their churn date: ${warnedBefore} of ${churners}`,
    );
  }
  if (report.laterChurners) {
    const { flagged, flaggedLaterChurners, precisionCountingLaterChurn } = report.laterChurners;
    lines.push(
      `at risk and churning after the holdout end (early, not false): ${flaggedLaterChurners} of ${flagged} at risk; precision counting them ${
        precisionCountingLaterChurn === null
          ? "n/a"
          : `${(precisionCountingLaterChurn * 100).toFixed(1)}%`
      }`,
    );
  }
  if (report.byType) {
    lines.push("by behaviour type (at risk as of the calibration end):");
    for (const row of report.byType) {
      lines.push(
        `  ${row.type.padEnd(18)} ${String(row.users).padStart(6)} users, ${row.churned} churned, ${row.flagged} at risk (${row.flaggedChurned} of them churned)`,
      );
    }
  }
  for (const check of report.promotionHunters ?? []) {
    lines.push(
      `promotion hunters warned in the week after "${check.promotion}": ${check.warned} of ${check.hunters}`,
    );
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

export const evaluateCommand = defineCommand<EvaluateOptions>({
  name: "evaluate",
  summary: "AUC, precision/recall, lift and lead time of the risk vs recency and RFM",
  help: `Usage: churnwatch evaluate --calibration-end YYYY-MM-DD --holdout-end YYYY-MM-DD
                          [--label activity|purchase] [--truth FILE] [--user-prefix P]
                          [--json] [--url URL] [--api-key KEY]

Scores every user of the API key's app in a running local mode as of the end of the
calibration day — the same function and current model versions the scheduled run uses, on the
record as it was then — and compares with what happened up to the holdout end: churned = no
activity (or no purchase, --label purchase) in the holdout. Prints AUC; precision, recall and
F1 of the users put at risk (score at or above the medium tier's boundary, unless a promotion
lull holds them back); and lift by decile, side by side with recency alone and an RFM score
cut to flag as many users.

--truth FILE (from \`churnwatch simulate\`) takes the labels from the ground truth instead:
users who churned by the calibration end are left out, churned = true churn date on or before
the holdout end; it adds the median lead time (backtested day by day: days from the start of
the unbroken at-risk stretch that reaches the true churn date to that date; an earlier alarm
that cleared does not count) and whether promotion hunters were at risk in the week after
each promotion. A good holdout for this is one churn window (30 days) after the calibration
end: the users who churn in it have all gone quiet by then.

Options:
  --calibration-end D   the day the risk is scored as of (YYYY-MM-DD)
  --holdout-end D       the last day of the holdout (YYYY-MM-DD)
  --label L             activity (default) or purchase
  --truth FILE          ground truth CSV (userId,type,lastActiveDate,churnDate)
  --user-prefix P       only users whose ID starts with P
  --json                print the report as JSON
${serverFlagsHelp(23)}
  -h, --help            show this help
`,
  options: {
    "calibration-end": { type: "string" },
    "holdout-end": { type: "string" },
    label: { type: "string" },
    truth: { type: "string" },
    "user-prefix": { type: "string" },
    json: { type: "boolean" },
    url: { type: "string" },
    "api-key": { type: "string" },
  },
  parse(values, positionals, env) {
    noPositionals("evaluate", positionals);
    const day = (flag: string) => {
      const value = stringFlag(values, flag);
      if (value === undefined) {
        throw new UsageError(`churnwatch evaluate: --${flag} YYYY-MM-DD is required`);
      }
      try {
        parseCalibrationEnd(value);
      } catch (error) {
        throw new UsageError(`churnwatch evaluate: --${flag}: ${(error as Error).message}`);
      }
      return value;
    };
    const calibrationEnd = day("calibration-end");
    const holdoutEnd = day("holdout-end");
    if (holdoutEnd <= calibrationEnd) {
      throw new UsageError(
        `churnwatch evaluate: --holdout-end (${holdoutEnd}) must come after --calibration-end (${calibrationEnd})`,
      );
    }
    const label = stringFlag(values, "label") ?? "activity";
    if (label !== "activity" && label !== "purchase") {
      throw new UsageError(
        `churnwatch evaluate: --label must be activity or purchase, got "${label}"`,
      );
    }
    const truth = stringFlag(values, "truth");
    const userPrefix = stringFlag(values, "user-prefix");
    return {
      calibrationEnd,
      holdoutEnd,
      label,
      ...(truth ? { truthFile: resolve(truth) } : {}),
      ...(userPrefix ? { userPrefix } : {}),
      json: values.json === true,
      server: parseServerFlags("evaluate", values, env),
    };
  },
  async run(options: EvaluateOptions, io: CliIo) {
    const client = new LocalClient(options.server.url, options.server.apiKey);
    const report = await client.request<StoreEvaluation>("POST", "/_local/evaluate", {
      calibrationEnd: options.calibrationEnd,
      holdoutEnd: options.holdoutEnd,
      label: options.label,
      ...(options.truthFile ? { truthFile: options.truthFile } : {}),
      ...(options.userPrefix ? { userPrefix: options.userPrefix } : {}),
    });
    if (options.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else io.stdout(`${renderEvaluationText(report)}${renderExtras(report)}`);
    return 0;
  },
});
