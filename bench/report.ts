/** Renders the benchmark's measurements as text; it computes ratios, it invents nothing. */
import { basename } from "node:path";
import { describeOperations, type RequestTally, type TallySummary } from "./request-counter.js";

export interface PhaseResult {
  /** Records the design acknowledged (not returned as failures). */
  readonly accepted: number;
  readonly failedRecords: number;
  /** New events the design's table shows applied in this phase (eventCount growth). */
  readonly applied: number;
  readonly elapsedMs: number;
  readonly tally: RequestTally;
  readonly summary: TallySummary;
}

export interface ScenarioReport {
  readonly name: string;
  readonly batches: number;
  readonly churnwatch: PhaseResult;
  readonly naive: PhaseResult;
  /** Most churnwatch write requests per accepted event allowed, where the scenario has a target. */
  readonly target?: number;
}

export interface ReportInput {
  readonly endpoint: string;
  readonly eventsBatchSize: number;
  readonly warmupBatches: number;
  readonly cdnow: { readonly path: string; readonly rows: number; readonly fileRows: number };
  readonly scenarios: readonly ScenarioReport[];
  readonly redelivery: {
    readonly batches: number;
    readonly churnwatch: PhaseResult;
    readonly naive: PhaseResult;
  };
  readonly totalMs: number;
}

function perEvent(count: number, events: number): number {
  return events === 0 ? Number.NaN : count / events;
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined || Number.isNaN(value) ? "n/a" : value.toFixed(digits);
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [
    render(header),
    render(widths.map((width) => "-".repeat(width))),
    ...rows.map(render),
  ].join("\n");
}

export function formatReport(input: ReportInput): { text: string; targetMet: boolean } {
  let targetMet = true;
  const lines: string[] = [];
  lines.push(
    "churnwatch bench: DynamoDB requests per accepted event, features Lambda vs naive one-write-per-event",
  );
  lines.push(
    `DynamoDB Local ${input.endpoint} (in memory); both designs get the same SQS batches, interleaved batch by batch; ` +
      `${input.warmupBatches} warm-up batches per design not counted`,
  );
  if (input.cdnow.rows < input.cdnow.fileRows) {
    lines.push(
      `(b) replays a PREFIX of ${basename(input.cdnow.path)}: its first ${input.cdnow.rows} of ${input.cdnow.fileRows} rows (--cdnow-rows)`,
    );
  } else {
    lines.push(
      `(b) replays all ${input.cdnow.rows} rows of ${basename(input.cdnow.path)} in file order, ` +
        `${input.eventsBatchSize} events per batch (the events queue's batch size)`,
    );
  }
  lines.push("");

  const rows = input.scenarios.map((scenario) => {
    const { churnwatch, naive } = scenario;
    const cwWrites = perEvent(churnwatch.summary.writeRequests, churnwatch.accepted);
    const naiveWrites = perEvent(naive.summary.writeRequests, naive.accepted);
    let verdict = "-";
    if (scenario.target !== undefined) {
      const met = cwWrites <= scenario.target;
      targetMet &&= met;
      verdict = `${met ? "met" : "NOT met"} (<= ${scenario.target.toFixed(2)})`;
    }
    return [
      scenario.name,
      String(scenario.batches),
      String(churnwatch.accepted),
      fixed(cwWrites, 4),
      fixed(naiveWrites, 4),
      fixed(cwWrites / naiveWrites, 3),
      fixed(perEvent(churnwatch.summary.readRequests, churnwatch.accepted), 4),
      fixed(perEvent(naive.summary.readRequests, naive.accepted), 4),
      verdict,
    ];
  });
  lines.push(
    table(
      [
        "scenario",
        "batches",
        "accepted events",
        "churnwatch writes/event",
        "naive writes/event",
        "ratio churnwatch/naive",
        "churnwatch reads/event",
        "naive reads/event",
        "target (churnwatch writes/event)",
      ],
      rows,
    ),
  );
  lines.push("");

  lines.push(
    "capacity units per accepted event: single-item operations as DynamoDB Local reported them " +
      "(ReturnConsumedCapacity); TransactWriteItems by AWS's rule, 2 WCU per started KB of each item " +
      "written (DynamoDB Local sizes a transaction as a whole); n/a where a request failed (errors carry no report):",
  );
  lines.push(
    table(
      [
        "scenario",
        "churnwatch WCU/event",
        "naive WCU/event",
        "churnwatch RCU/event",
        "naive RCU/event",
      ],
      input.scenarios.map((scenario) => [
        scenario.name,
        fixed(
          perEvent(
            scenario.churnwatch.summary.writeUnits ?? Number.NaN,
            scenario.churnwatch.accepted,
          ),
          3,
        ),
        fixed(
          perEvent(scenario.naive.summary.writeUnits ?? Number.NaN, scenario.naive.accepted),
          3,
        ),
        fixed(
          perEvent(
            scenario.churnwatch.summary.readUnits ?? Number.NaN,
            scenario.churnwatch.accepted,
          ),
          3,
        ),
        fixed(perEvent(scenario.naive.summary.readUnits ?? Number.NaN, scenario.naive.accepted), 3),
      ]),
    ),
  );
  lines.push("");

  lines.push("requests sent:");
  for (const scenario of input.scenarios) {
    lines.push(`  ${scenario.name}`);
    lines.push(`    churnwatch: ${describeOperations(scenario.churnwatch.tally)}`);
    lines.push(`    naive:      ${describeOperations(scenario.naive.tally)}`);
  }
  lines.push("");

  const { redelivery } = input;
  const redeliveryLine = (name: string, phase: PhaseResult) =>
    `  ${name} applied ${phase.applied} new events of ${phase.accepted} acknowledged ` +
    `with ${phase.summary.writeRequests} write requests (${phase.summary.failedWriteRequests} refused by a condition or cancelled) ` +
    `and ${phase.summary.readRequests} read requests: ${describeOperations(phase.tally)}`;
  lines.push(
    `(a) redelivered: the same ${redelivery.batches} batches again, receive count 2 (dedupe):`,
  );
  lines.push(redeliveryLine("churnwatch", redelivery.churnwatch));
  lines.push(redeliveryLine("naive     ", redelivery.naive));
  lines.push("");

  const elapsed = input.scenarios.map((scenario) => {
    const cw = scenario.churnwatch.elapsedMs;
    const naive = scenario.naive.elapsedMs;
    return `${scenario.name.split(" ")[0]} churnwatch ${Math.round(cw)} / naive ${Math.round(naive)} (${(cw / naive).toFixed(2)}x)`;
  });
  elapsed.push(
    `(a) redelivered churnwatch ${Math.round(redelivery.churnwatch.elapsedMs)} / naive ${Math.round(redelivery.naive.elapsedMs)} ` +
      `(${(redelivery.churnwatch.elapsedMs / redelivery.naive.elapsedMs).toFixed(2)}x)`,
  );
  lines.push(`elapsed ms, informational (shared machine, DynamoDB Local): ${elapsed.join("; ")}`);
  lines.push(`whole run ${Math.round(input.totalMs)} ms`);
  return { text: lines.join("\n"), targetMet };
}
