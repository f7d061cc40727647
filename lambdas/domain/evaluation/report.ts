/**
 * The evaluation report: churnwatch's scores against the recency and RFM baselines on the same
 * users and labels. Baselines are cut at the threshold that flags as many users as churnwatch
 * does at its operating threshold, so their precision answers the question that matters to a
 * CRM team with a fixed budget: of the N users we would contact, how many were really leaving?
 */
import { auc } from "./auc.js";
import { type BaselineRow, recencyScores, rfmRiskScores } from "./baselines.js";
import {
  brier,
  classifyAt,
  type LiftRow,
  liftByDecile,
  quantile,
  thresholdForCount,
} from "./metrics.js";

export interface EvaluationRow extends BaselineRow {
  readonly userId: string;
  readonly score: number;
  /** True when the user churned in the holdout period. */
  readonly label: boolean;
  /** Days from churnwatch's first warning to the churn date, for churners it warned about. */
  readonly leadTimeDays?: number | null;
  /**
   * Whether churnwatch put the user at risk — its tier, which a promotion lull or a critical
   * rule can set apart from the score. When every row has it, churnwatch's flagged, precision
   * and recall count these users: the warnings it would really have sent.
   */
  readonly atRisk?: boolean;
}

export interface EvaluationOptions {
  readonly operatingThreshold: number;
  readonly calibrationEnd?: string;
  readonly holdoutEnd?: string;
  readonly modelVersion?: string;
}

export type ModelName = "churnwatch" | "recency" | "rfm";

export interface ModelEvaluation {
  readonly name: ModelName;
  readonly auc: number | null;
  /** Null when the comparable cut flags nobody. */
  readonly threshold: number | null;
  readonly flagged: number;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
  /** Only for churnwatch, whose scores are meant as probabilities; null for the baselines. */
  readonly brier: number | null;
  readonly liftByDecile: readonly LiftRow[];
}

export interface LeadTimeSummary {
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly count: number;
}

export interface EvaluationReport {
  readonly population: number;
  readonly positives: number;
  readonly operatingThreshold: number;
  readonly calibrationEnd: string | null;
  readonly holdoutEnd: string | null;
  readonly modelVersion: string | null;
  readonly models: readonly ModelEvaluation[];
  readonly leadTime: LeadTimeSummary | null;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function evaluate(
  name: ModelName,
  scores: readonly number[],
  labels: readonly boolean[],
  threshold: number,
  withBrier: boolean,
  flags?: readonly boolean[],
): ModelEvaluation {
  const c = flags
    ? classifyAt(
        flags.map((flag) => (flag ? 1 : 0)),
        labels,
        1,
      )
    : classifyAt(scores, labels, threshold);
  return {
    name,
    auc: scores.length === 0 ? null : finiteOrNull(auc(scores, labels)),
    threshold: finiteOrNull(threshold),
    flagged: c.flagged,
    precision: c.precision,
    recall: c.recall,
    f1: c.f1,
    brier: withBrier ? brier(scores, labels) : null,
    liftByDecile: liftByDecile(scores, labels),
  };
}

function leadTimeOf(rows: readonly EvaluationRow[]): LeadTimeSummary | null {
  const days = rows
    .map((row) => row.leadTimeDays)
    .filter((d): d is number => typeof d === "number" && Number.isFinite(d));
  if (days.length === 0) return null;
  return {
    median: quantile(days, 0.5) as number,
    p25: quantile(days, 0.25) as number,
    p75: quantile(days, 0.75) as number,
    count: days.length,
  };
}

export function buildEvaluationReport(
  rows: readonly EvaluationRow[],
  options: EvaluationOptions,
): EvaluationReport {
  if (!Number.isFinite(options.operatingThreshold)) {
    throw new RangeError(`operatingThreshold must be finite, got ${options.operatingThreshold}`);
  }
  const seen = new Set<string>();
  for (const [i, row] of rows.entries()) {
    if (seen.has(row.userId)) throw new RangeError(`row ${i}: user ${row.userId} appears twice`);
    seen.add(row.userId);
    if (!Number.isFinite(row.score)) throw new RangeError(`row ${i}: score ${row.score}`);
  }
  const labels = rows.map((row) => row.label);
  const scores = rows.map((row) => row.score);
  const flags = rows.every((row) => row.atRisk !== undefined)
    ? rows.map((row) => row.atRisk === true)
    : undefined;
  const churnwatch = evaluate(
    "churnwatch",
    scores,
    labels,
    options.operatingThreshold,
    true,
    flags,
  );
  const baseline = (name: ModelName, baselineScores: number[]) =>
    evaluate(
      name,
      baselineScores,
      labels,
      thresholdForCount(baselineScores, churnwatch.flagged).threshold,
      false,
    );
  return {
    population: rows.length,
    positives: labels.filter(Boolean).length,
    operatingThreshold: options.operatingThreshold,
    calibrationEnd: options.calibrationEnd ?? null,
    holdoutEnd: options.holdoutEnd ?? null,
    modelVersion: options.modelVersion ?? null,
    models: [
      churnwatch,
      baseline("recency", recencyScores(rows)),
      baseline("rfm", rfmRiskScores(rows)),
    ],
    leadTime: leadTimeOf(rows),
  };
}

const DASH = "—";

function fixed(value: number | null, digits = 3): string {
  return value === null ? DASH : value.toFixed(digits);
}

function percent(value: number | null): string {
  return value === null ? DASH : `${(value * 100).toFixed(1)}%`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** A plain-text report for a terminal: the same numbers as the JSON, models side by side. */
export function renderEvaluationText(report: EvaluationReport): string {
  const names = report.models.map((m) => m.name);
  const rate = report.population === 0 ? null : report.positives / report.population;
  const lines: string[] = ["churnwatch evaluation"];
  const context = [
    report.modelVersion === null ? null : `model ${report.modelVersion}`,
    report.calibrationEnd === null ? null : `calibration to ${report.calibrationEnd}`,
    report.holdoutEnd === null ? null : `holdout to ${report.holdoutEnd}`,
  ].filter((part): part is string => part !== null);
  if (context.length > 0) lines.push(context.join(", "));
  lines.push(
    `${report.population} users, ${report.positives} churned (${percent(rate)}); ` +
      `operating threshold ${report.operatingThreshold}`,
    "baselines are cut to flag as many users as churnwatch",
    "",
    table([
      ["", ...names],
      ["AUC", ...report.models.map((m) => fixed(m.auc))],
      ["threshold", ...report.models.map((m) => fixed(m.threshold))],
      ["flagged", ...report.models.map((m) => String(m.flagged))],
      ["precision", ...report.models.map((m) => percent(m.precision))],
      ["recall", ...report.models.map((m) => percent(m.recall))],
      ["F1", ...report.models.map((m) => fixed(m.f1))],
      ["Brier", ...report.models.map((m) => fixed(m.brier))],
    ]),
    "",
    "lift by score decile (cumulative recall), decile 1 = riskiest",
    table([
      ["decile", ...names],
      ...Array.from({ length: 10 }, (_, d) => [
        String(d + 1),
        ...report.models.map((m) => {
          const row = m.liftByDecile[d];
          return row ? `${fixed(row.lift, 2)} (${percent(row.cumulativeRecall)})` : DASH;
        }),
      ]),
    ]),
    "",
  );
  const lead = report.leadTime;
  lines.push(
    lead === null
      ? "lead time: no warned churners"
      : `lead time before churn: median ${lead.median} days ` +
          `(p25 ${lead.p25}, p75 ${lead.p75}; ${lead.count} warned churners)`,
  );
  return `${lines.join("\n")}\n`;
}
