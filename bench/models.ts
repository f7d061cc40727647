/**
 * BTYD model fits on the CDNOW sample (../shared/data/cdnow), measured side by side in one run:
 * the BG/NBD fit (target < 50 ms), one BG/NBD log-likelihood evaluation with and without its
 * gradient (so the fit can be read as "k likelihood evaluations"), and the MBG/NBD, Pareto/NBD
 * (central-difference gradients) and Gamma-Gamma fits on the same data. All fits start from
 * every parameter 1. The first BG/NBD fit of the process is reported apart (it pays for the JIT);
 * the others are medians over repeated runs. Every number printed comes from this run.
 *
 * From bench/run.ts: `const models = benchModels(); process.stdout.write(formatModelsBench(models))`.
 * Alone: `node local/run-ts.js bench/models.ts [--repeats N]`.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  bgNbdDatasetLogLikelihood,
  cbsData,
  type FitResult,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  parseCbsCsv,
  spendData,
} from "../lambdas/domain/models/index.js";
import { REPO_ROOT } from "../local/paths.js";

/** The issue's target for the BG/NBD fit on CDNOW. */
export const BG_NBD_FIT_TARGET_MS = 50;

export interface ModelsBenchOptions {
  /** CBS CSV (x, t.x, T.cal); default ../shared/data/cdnow/BTYD_cdnowSummary_cbs.csv. */
  readonly cbsPath?: string;
  /** CSV with x and zbar; default ../shared/data/cdnow/cdnow_customers_summary_with_transactions.csv. */
  readonly spendPath?: string;
  /** Timed repetitions of each fast fit (the Pareto/NBD fit runs a fifth as often). Default 20. */
  readonly repeats?: number;
}

export interface FitTiming {
  readonly model: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly runs: number;
  readonly converged: boolean;
  readonly iterations: number;
  readonly evaluations: number;
  readonly logLikelihood: number;
  readonly params: Readonly<Record<string, number>>;
}

export interface ModelsBenchResult {
  readonly cbsPath: string;
  readonly customers: number;
  readonly distinctRows: number;
  readonly repeatBuyers: number;
  /** The first BG/NBD fit in this process, JIT warm-up included. */
  readonly bgNbdFirstFitMs: number;
  readonly fits: readonly FitTiming[];
  /** Median time of one BG/NBD log-likelihood over the data, without and with the gradient. */
  readonly bgNbdLogLikelihoodMs: number;
  readonly bgNbdLogLikelihoodGradientMs: number;
  readonly targetMs: number;
  readonly targetMet: boolean;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((p, q) => p - q);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function timeFits<P>(
  model: string,
  runs: number,
  run: () => FitResult<P>,
): FitTiming & { last: FitResult<P> } {
  const times: number[] = [];
  let last: FitResult<P> | undefined;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    last = run();
    times.push(performance.now() - started);
  }
  if (!last) throw new Error("timeFits: runs must be positive");
  return {
    model,
    medianMs: median(times),
    minMs: Math.min(...times),
    runs,
    converged: last.converged,
    iterations: last.iterations,
    evaluations: last.evaluations,
    logLikelihood: last.logLikelihood,
    params: last.params as Readonly<Record<string, number>>,
    last,
  };
}

/** Times `work` in batches long enough for the clock; returns the median per call, in ms. */
function timePerCall(work: () => void, batches = 15, minBatchMs = 5): number {
  let calls = 1;
  for (;;) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) work();
    if (performance.now() - started >= minBatchMs) break;
    calls *= 2;
  }
  const perCall: number[] = [];
  for (let b = 0; b < batches; b++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) work();
    perCall.push((performance.now() - started) / calls);
  }
  return median(perCall);
}

export function benchModels(options: ModelsBenchOptions = {}): ModelsBenchResult {
  const cdnow = resolve(REPO_ROOT, "../shared/data/cdnow");
  const cbsPath = resolve(options.cbsPath ?? resolve(cdnow, "BTYD_cdnowSummary_cbs.csv"));
  const spendPath = resolve(
    options.spendPath ?? resolve(cdnow, "cdnow_customers_summary_with_transactions.csv"),
  );
  const repeats = options.repeats ?? 20;
  if (!Number.isInteger(repeats) || repeats <= 0) {
    throw new Error(`repeats must be a positive integer, got ${repeats}`);
  }
  const data = cbsData(parseCbsCsv(readFileSync(cbsPath, "utf8")));
  const spend = spendData(
    parseCbsCsv(readFileSync(spendPath, "utf8")).map((row) => ({
      x: row.x,
      zbar: row.zbar ?? Number.NaN,
    })),
  );

  const firstStarted = performance.now();
  const first = fitBgNbd(data);
  const bgNbdFirstFitMs = performance.now() - firstStarted;
  if (!first.converged) throw new Error(`BG/NBD fit did not converge: ${first.reason}`);

  const bg = timeFits("BG/NBD", repeats, () => fitBgNbd(data));
  const gradient = new Float64Array(4);
  const params = bg.last.params;
  const bgNbdLogLikelihoodMs = timePerCall(() => {
    bgNbdDatasetLogLikelihood(params, data);
  });
  const bgNbdLogLikelihoodGradientMs = timePerCall(() => {
    bgNbdDatasetLogLikelihood(params, data, gradient);
  });
  const mbg = timeFits("MBG/NBD", repeats, () => fitMbgNbd(data));
  const pareto = timeFits("Pareto/NBD", Math.max(1, Math.ceil(repeats / 5)), () =>
    fitParetoNbd(data),
  );
  const gg = timeFits("Gamma-Gamma", repeats, () => fitGammaGamma(spend));
  const fits = [bg, mbg, pareto, gg].map(({ last: _last, ...timing }) => timing);
  return {
    cbsPath,
    customers: data.customers,
    distinctRows: data.x.length,
    repeatBuyers: spend.x.length,
    bgNbdFirstFitMs,
    fits,
    bgNbdLogLikelihoodMs,
    bgNbdLogLikelihoodGradientMs,
    targetMs: BG_NBD_FIT_TARGET_MS,
    targetMet: bg.medianMs < BG_NBD_FIT_TARGET_MS && bgNbdFirstFitMs < BG_NBD_FIT_TARGET_MS,
  };
}

function formatParams(params: Readonly<Record<string, number>>): string {
  return Object.entries(params)
    .map(([name, value]) => `${name} ${value.toPrecision(6)}`)
    .join(", ");
}

function pad(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? "").length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function formatModelsBench(result: ModelsBenchResult): string {
  const bg = result.fits[0];
  const header = ["fit (from all 1)", "median ms", "min ms", "runs", "iter", "evals", "LL"];
  const rows = result.fits.map((fit) => [
    fit.model,
    fit.medianMs.toFixed(2),
    fit.minMs.toFixed(2),
    String(fit.runs),
    String(fit.iterations),
    String(fit.evaluations),
    fit.logLikelihood.toFixed(3),
  ]);
  const ratio = (fit: FitTiming) => (bg ? (fit.medianMs / bg.medianMs).toFixed(1) : "n/a");
  const lines = [
    `BTYD models on ${result.cbsPath}: ${result.customers} customers (${result.distinctRows} distinct (x, t_x, T) rows), ${result.repeatBuyers} repeat buyers for Gamma-Gamma`,
    pad([header, header.map((h) => "-".repeat(h.length)), ...rows]),
    "",
    "evals: objective evaluations, each with its gradient (Pareto/NBD: by central differences, 9 likelihoods each)",
    `BG/NBD log-likelihood, one evaluation: ${result.bgNbdLogLikelihoodMs.toFixed(3)} ms (with gradient ${result.bgNbdLogLikelihoodGradientMs.toFixed(3)} ms)`,
  ];
  if (bg) {
    lines.push(
      `BG/NBD fit = ${(bg.medianMs / result.bgNbdLogLikelihoodGradientMs).toFixed(1)} likelihood-and-gradient evaluations of time (${bg.evaluations} made); first fit in this process ${result.bgNbdFirstFitMs.toFixed(2)} ms`,
      `relative to the BG/NBD fit: ${result.fits.map((fit) => `${fit.model} ${ratio(fit)}x`).join(", ")}`,
      `BG/NBD fit: ${formatParams(bg.params)}`,
      `target: BG/NBD fit < ${result.targetMs} ms (first and median): ${result.targetMet ? "met" : "MISSED"}`,
    );
  }
  for (const fit of result.fits) {
    if (!fit.converged) lines.push(`warning: ${fit.model} did not converge`);
  }
  return `${lines.join("\n")}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { repeats: { type: "string" } } });
  const repeats = values.repeats === undefined ? undefined : Number(values.repeats);
  const result = benchModels(repeats === undefined ? {} : { repeats });
  process.stdout.write(formatModelsBench(result));
}
