/**
 * The CDNOW sample from ../shared/data/cdnow (the repository is cloned next to shared/). Looked
 * up from this file first, then from the working directory, so `vitest` works from anywhere.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type CbsCsvRow, parseCbsCsv } from "../../../lambdas/domain/models/cbs-csv.js";

const CANDIDATES = [
  fileURLToPath(new URL("../../../../shared/data/cdnow/", import.meta.url)),
  resolve(process.cwd(), "../shared/data/cdnow"),
  resolve(process.cwd(), "shared/data/cdnow"),
];

export function cdnowDir(): string {
  const found = CANDIDATES.find((dir) => existsSync(resolve(dir, "BTYD_cdnowSummary_cbs.csv")));
  if (!found) {
    throw new Error(`CDNOW data not found; looked in:\n  ${CANDIDATES.join("\n  ")}`);
  }
  return found;
}

export function readCdnow(file: string): CbsCsvRow[] {
  return parseCbsCsv(readFileSync(resolve(cdnowDir(), file), "utf8"));
}

/** The calibration CBS: cust, x, t.x, T.cal, x.star (39-week holdout). */
export const cdnowCbs = (): CbsCsvRow[] => readCdnow("BTYD_cdnowSummary_cbs.csv");

/** ID, x, t_x, T, zbar (mean value of the repeat transactions). */
export const cdnowSpend = (): CbsCsvRow[] =>
  readCdnow("cdnow_customers_summary_with_transactions.csv");

/**
 * "Reproduced to n significant digits": the difference is at most half a unit in the n-th
 * significant digit of the reference.
 */
export function significantDigitsTolerance(reference: number, digits: number): number {
  const exponent = Math.floor(Math.log10(Math.abs(reference)));
  return 0.5 * 10 ** (exponent - digits + 1);
}
