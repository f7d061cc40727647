/**
 * The local dashboard at `/`: what happened in this local run at a glance. Server-rendered,
 * refreshes itself, no script. Every value from the data is escaped (user ids and message texts
 * come from API clients), and recipient addresses are left out.
 */
import type { OutboxEntry } from "../outbox.js";
import type { LocalStats } from "../stats.js";

export interface DashboardInput {
  readonly stats: LocalStats;
  readonly recentOutbox: readonly OutboxEntry[];
  readonly nextFirings: Readonly<Record<string, string>>;
  readonly generatedAt: Date;
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
</body>
</html>
`;
}
