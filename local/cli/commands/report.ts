/** `churnwatch report`: win-back per experiment and arm, from a running churnwatch's API. */
import type { ArmReport, ExperimentReport } from "../../../lambdas/domain/winback.js";
import {
  parseWinbackQuery,
  type WinbackQueryParameter,
  winbackQueryString,
} from "../../../lambdas/domain/winback-config.js";
import type { WinbackReportResult } from "../../../lambdas/use-cases/winback-report.js";
import { UsageError } from "../../errors.js";
import { defineCommand, noPositionals, stringFlag } from "../command.js";
import type { CliIo } from "../io.js";
import { LocalClient } from "../local-client.js";
import { parseServerFlags, type ServerFlags, serverFlagsHelp } from "../server-flags.js";

export const WINBACK_PATH = "/v1/reports/winback";

export interface ReportOptions {
  /** The API's query parameters, as typed (the server parses them again). */
  readonly parameters: Readonly<Partial<Record<WinbackQueryParameter, string>>>;
  readonly json: boolean;
  readonly server: ServerFlags;
}

const FLAG_OF: Readonly<Record<WinbackQueryParameter, string>> = {
  experiment: "experiment",
  windowDays: "window-days",
  winback: "winback",
  from: "from",
  to: "to",
};

const percent = (value: number | null) => (value === null ? "–" : `${(value * 100).toFixed(1)}%`);
const count = (value: number | null) => (value === null ? "–" : String(value));
/** Money: cents, or four decimals for sums below 1 (a few e-mails cost a fraction of a fen). */
const amount = (value: number | null) =>
  value === null ? "–" : value.toFixed(value === 0 || Math.abs(value) >= 1 ? 2 : 4);
const points = (value: number) => `${value >= 0 ? "+" : ""}${(value * 100).toFixed(1)}`;

function pValue(value: number): string {
  return value < 0.001 ? "<0.001" : value.toFixed(3);
}

function upliftCell(arm: ArmReport): string {
  if (!arm.uplift) return "";
  const { difference, ci95 } = arm.uplift;
  return `${points(difference)} pp [${points(ci95.low)}, ${points(ci95.high)}]`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? "").length)),
  );
  return rows.map((row) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths?.[column] ?? 0) : cell.padStart(widths?.[column] ?? 0),
      )
      .join("  ")
      .trimEnd(),
  );
}

function renderExperiment(experiment: ExperimentReport, currency: string): string[] {
  const title =
    experiment.experimentId === null
      ? "outside experiments"
      : `experiment ${experiment.experimentId}`;
  const arms = [...(experiment.control ? [experiment.control] : []), ...experiment.variants];
  const lines = [title];
  if (arms.length === 0) {
    lines.push("  nobody targeted");
  } else {
    const rows = [
      [
        "arm",
        "targeted",
        "sent",
        "delivered",
        "opened",
        "clicked",
        "won back",
        "rate",
        "uplift vs control (95% CI)",
        "p",
        `revenue ${currency}`,
        `cost ${currency}`,
        "cost/won back",
      ],
      ...arms.map((arm) => [
        arm.arm,
        String(arm.targeted),
        String(arm.sent),
        String(arm.delivered),
        count(arm.opened),
        count(arm.clicked),
        String(arm.wonBack),
        percent(arm.rate),
        upliftCell(arm),
        arm.uplift ? pValue(arm.uplift.pValue) : "",
        amount(arm.revenueWonBack),
        amount(arm.cost.total),
        amount(arm.costPerWonBack),
      ]),
    ];
    lines.push(...table(rows).map((line) => `  ${line}`));
  }
  for (const arm of experiment.variants) {
    if (!arm.uplift) continue;
    const { incrementalWonBack, costPerIncrementalWonBack, test } = arm.uplift;
    lines.push(
      `  ${arm.arm}: incremental won back ${incrementalWonBack.toFixed(1)}${
        costPerIncrementalWonBack === null
          ? ""
          : `, cost per incremental win-back ${costPerIncrementalWonBack.toFixed(2)} ${currency}`
      } (${test})`,
    );
  }
  const extras = [
    experiment.repeatActions > 0
      ? `${experiment.repeatActions} repeat action(s) not re-measured`
      : "",
    experiment.unassigned > 0 ? `${experiment.unassigned} action(s) without an arm` : "",
    experiment.noAction > 0 ? `${experiment.noAction} warning(s) with no action` : "",
  ].filter(Boolean);
  if (extras.length > 0) lines.push(`  ${extras.join(" · ")}`);
  return lines;
}

export function renderWinbackText(report: WinbackReportResult): string {
  const period =
    report.from === null && report.to === null
      ? "all actions"
      : `actions ${report.from ?? "…"} to ${report.to ?? "…"}`;
  const what = report.winback === "purchase" ? "a purchase" : "activity";
  const lines = [
    `win-back: ${what} within ${report.windowDays} days of the action (of assignment, for control) · ${period}${
      report.experiment === null ? "" : ` · experiment ${report.experiment}`
    }`,
    `message costs (${report.currency}): email ${report.messageCosts.email}, push ${report.messageCosts.push}, sms ${report.messageCosts.sms}`,
  ];
  if (report.experiments.length === 0) lines.push("no actions recorded in this period");
  for (const experiment of report.experiments) {
    lines.push("", ...renderExperiment(experiment, report.currency));
  }
  if (report.experiments.length > 0) {
    lines.push("", "opened/clicked: – where the profiles cannot tell (or nothing was delivered)");
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return `${lines.join("\n")}\n`;
}

export const reportCommand = defineCommand<ReportOptions>({
  name: "report",
  summary: "win-back per experiment and arm: rates, uplift vs control, revenue and cost",
  help: `Usage: churnwatch report [--experiment ID] [--window-days N] [--winback purchase|activity]
                        [--from DATE] [--to DATE] [--json] [--url URL] [--api-key KEY]

Asks a running churnwatch (GET ${WINBACK_PATH}) for the win-back report of the API key's app.
A user is won back by a purchase (or, --winback activity, any activity) within N days of the
action — of the assignment, for control users; the window starts at the warning's as-of time for
every group. Per experiment, the control and each variant: targeted, sent, delivered, opened and
clicked where the profiles can tell, won back, rate, uplift vs control with its 95 % confidence
interval (Newcombe) and p-value (z-test, or Fisher's exact test for small counts), revenue won
back, cost and cost per won-back user.

Options:
  --experiment ID      only this experiment (default: all, and actions outside experiments)
  --window-days N      days after the action that count (default 30, at most 365)
  --winback W          purchase (default) or activity
  --from DATE          actions from this day (YYYY-MM-DD) or time (ISO 8601 with offset)
  --to DATE            actions up to this day (inclusive) or time
  --json               print the report as JSON
${serverFlagsHelp(23)}
  -h, --help           show this help
`,
  options: {
    experiment: { type: "string" },
    "window-days": { type: "string" },
    winback: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    json: { type: "boolean" },
    url: { type: "string" },
    "api-key": { type: "string" },
  },
  parse(values, positionals, env) {
    noPositionals("report", positionals);
    const parameters: Partial<Record<WinbackQueryParameter, string>> = {};
    for (const [parameter, flag] of Object.entries(FLAG_OF) as [WinbackQueryParameter, string][]) {
      const value = stringFlag(values, flag);
      if (value !== undefined) parameters[parameter] = value;
    }
    const parsed = parseWinbackQuery(parameters);
    if (!parsed.ok) {
      const first = parsed.errors[0];
      const flag = FLAG_OF[first?.field as WinbackQueryParameter] ?? first?.field;
      throw new UsageError(`churnwatch report: --${flag}: ${first?.message}`);
    }
    return {
      parameters,
      json: values.json === true,
      server: parseServerFlags("report", values, env),
    };
  },
  async run(options: ReportOptions, io: CliIo) {
    const client = new LocalClient(options.server.url, options.server.apiKey);
    const query = winbackQueryString(options.parameters);
    const report = await client.request<WinbackReportResult>(
      "GET",
      query === "" ? WINBACK_PATH : `${WINBACK_PATH}?${query}`,
    );
    if (options.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else io.stdout(renderWinbackText(report));
    return 0;
  },
});
