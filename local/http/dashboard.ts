/**
 * The local dashboard at `/`: what happened in this local run at a glance. Server-rendered,
 * refreshes itself, no script. Every value from the data is escaped (user ids and message texts
 * come from API clients), and recipient addresses are left out.
 */
import type { ArmReport, ExperimentReport, WinbackReport } from "../../lambdas/domain/winback.js";
import type { MarketingLine, OutboxEntry } from "../outbox.js";
import type { LocalStats } from "../stats.js";

export interface DashboardInput {
  readonly stats: LocalStats;
  readonly recentOutbox: readonly OutboxEntry[];
  /** Marketing digests and alerts, newest first (absent: the section is left out). */
  readonly recentMarketing?: readonly MarketingLine[];
  readonly nextFirings: Readonly<Record<string, string>>;
  readonly generatedAt: Date;
  /**
   * The local app's win-back report (`winbackReport` with the default query); the section is
   * left out when undefined, and says why when the report could not be made.
   */
  readonly winback?: WinbackReport | { readonly error: string };
}

const EXCERPT_CHARS = 120;

export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function excerpt(entry: OutboxEntry): string {
  const text = entry.subject ? `${entry.subject} — ${entry.body}` : entry.body;
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS - 1)}…` : flat;
}

function card(label: string, value: number): string {
  return `<div class="card"><div class="value">${value}</div><div class="label">${escapeHtml(label)}</div></div>`;
}

const percent = (value: number | null) => (value === null ? "–" : `${(value * 100).toFixed(1)}%`);
const known = (value: number | null) => (value === null ? "–" : String(value));
/** Money: cents, or four decimals for sums below 1 (a few e-mails cost a fraction of a fen). */
const amount = (value: number | null) =>
  value === null ? "–" : value.toFixed(value === 0 || Math.abs(value) >= 1 ? 2 : 4);
const points = (value: number) => `${value >= 0 ? "+" : ""}${(value * 100).toFixed(1)}`;

function armRow(arm: ArmReport): string {
  const uplift = arm.uplift
    ? `${points(arm.uplift.difference)} pp [${points(arm.uplift.ci95.low)}, ${points(
        arm.uplift.ci95.high,
      )}]`
    : "";
  const p = arm.uplift
    ? arm.uplift.pValue < 0.001
      ? "&lt;0.001"
      : arm.uplift.pValue.toFixed(3)
    : "";
  const cells = [
    escapeHtml(arm.arm),
    String(arm.targeted),
    String(arm.sent),
    String(arm.delivered),
    known(arm.opened),
    known(arm.clicked),
    String(arm.wonBack),
    percent(arm.rate),
    escapeHtml(uplift),
    p,
    amount(arm.revenueWonBack),
    amount(arm.cost.total),
    amount(arm.costPerWonBack),
  ];
  return `<tr>${cells.map((cell) => `<td>${cell}</td>`).join("")}</tr>`;
}

function experimentTable(experiment: ExperimentReport, currency: string): string {
  const title =
    experiment.experimentId === null
      ? "Outside experiments"
      : `Experiment ${escapeHtml(experiment.experimentId)}`;
  const arms = [...(experiment.control ? [experiment.control] : []), ...experiment.variants];
  const rows =
    arms.length === 0
      ? `<tr><td colspan="13" class="muted">Nobody targeted.</td></tr>`
      : arms.map(armRow).join("");
  const code = escapeHtml(currency);
  return `<h3>${title}</h3>
<table>
<tr><th>arm</th><th>targeted</th><th>sent</th><th>delivered</th><th>opened</th><th>clicked</th><th>won back</th><th>rate</th><th>uplift vs control (95% CI)</th><th>p</th><th>revenue (${code})</th><th>cost (${code})</th><th>cost / won back</th></tr>
${rows}
</table>`;
}

function winbackSection(winback: DashboardInput["winback"]): string {
  if (winback === undefined) return "";
  if ("error" in winback) {
    return `<h2>Win-back</h2>
<p class="warn">The win-back report could not be made: ${escapeHtml(winback.error)}</p>
`;
  }
  const what = winback.winback === "purchase" ? "a purchase" : "activity";
  const body =
    winback.experiments.length === 0
      ? `<p class="muted">No actions recorded yet.</p>`
      : winback.experiments
          .map((experiment) => experimentTable(experiment, winback.currency))
          .join("\n");
  const warnings = winback.warnings
    .map((warning) => `<div class="muted">${escapeHtml(warning)}</div>`)
    .join("");
  return `<h2>Win-back — ${what} within ${winback.windowDays} days</h2>
<div class="muted">– = unknown: the profiles cannot tell, or nothing was delivered</div>
${body}
${warnings}
`;
}

export function renderDashboard(input: DashboardInput): string {
  const { stats } = input;
  const queueRows = Object.entries(stats.queues)
    .map(
      ([name, depth]) =>
        `<tr><td>${escapeHtml(name)}</td><td>${depth.visible}</td><td>${depth.inFlight}</td><td>${depth.delayed}</td><td class="${
          depth.deadLetters > 0 ? "warn" : ""
        }">${depth.deadLetters}</td></tr>`,
    )
    .join("");
  const outboxRows =
    input.recentOutbox.length === 0
      ? `<tr><td colspan="4" class="muted">No messages sent yet.</td></tr>`
      : input.recentOutbox
          .map(
            (entry) =>
              `<tr><td>${escapeHtml(entry.at)}</td><td>${escapeHtml(entry.channel)}</td><td>${escapeHtml(
                entry.userId,
              )}</td><td>${escapeHtml(excerpt(entry))}</td></tr>`,
          )
          .join("");
  const marketing = input.recentMarketing;
  const marketingSection =
    marketing === undefined
      ? ""
      : `<h2>Marketing notifications — latest ${marketing.length}</h2>
<table>
<tr><th>at</th><th>kind</th><th>subject</th></tr>
${
  marketing.length === 0
    ? `<tr><td colspan="3" class="muted">No digest or alert yet.</td></tr>`
    : marketing
        .map(
          (line) =>
            `<tr><td>${escapeHtml(line.at)}</td><td>${escapeHtml(line.kind)}</td><td>${escapeHtml(line.subject)}</td></tr>`,
        )
        .join("")
}
</table>
`;
  const schedules = Object.entries(input.nextFirings)
    .map(([name, at]) => `${escapeHtml(name)}: next run ${escapeHtml(at)}`)
    .join(" · ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>churnwatch — local</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; }
  .muted { color: #777; }
  .cards { display: flex; gap: 1rem; margin: 1rem 0 1.5rem; flex-wrap: wrap; }
  .card { border: 1px solid #ddd; border-radius: 6px; padding: .8rem 1.2rem; min-width: 9rem; }
  .value { font-size: 1.8rem; font-weight: 600; }
  table { border-collapse: collapse; margin-bottom: 1.5rem; }
  th, td { border-bottom: 1px solid #eee; padding: .3rem .8rem; text-align: left; vertical-align: top; }
  th { background: #f6f6f6; }
  .warn { color: #b00; font-weight: 600; }
</style>
</head>
<body>
<h1>churnwatch — local mode</h1>
<div class="muted">Updated ${escapeHtml(input.generatedAt.toISOString())}${
    schedules ? ` · ${schedules}` : ""
  } · refreshes every 5 s</div>
<div class="cards">
${card("events", stats.events)}
${card("users", stats.users)}
${card("users at risk", stats.usersAtRisk)}
${card("outbox messages", stats.outbox.total)}
</div>
<h2>Queues</h2>
<table>
<tr><th>queue</th><th>waiting</th><th>in flight</th><th>delayed</th><th>dead letters</th></tr>
${queueRows}
</table>
<h2>Outbox — latest ${input.recentOutbox.length}</h2>
<table>
<tr><th>at</th><th>channel</th><th>user</th><th>message</th></tr>
${outboxRows}
</table>
${marketingSection}${winbackSection(input.winback)}</body>
</html>
`;
}
