/**
 * Issue 4's "done when" on the CDNOW sample, the way a user runs it: `churnwatch replay` of
 * CDNOW_sample.txt through the local API, `churnwatch export` with the calibration end
 * 1997-09-30, compared with BTYD's published cdnowSummary$cbs; then the same replay again,
 * which must change nothing and count every event as a duplicate.
 *
 * The data sits next to the repository (`../shared/data/cdnow`), as in CI. Without it the test
 * is skipped, except in CI (CI set), where it fails.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocal } from "../../local/index.js";
import { REPO_ROOT } from "../../local/paths.js";
import type { ReplaySummary } from "../../local/replay/run-replay.js";

const CDNOW_DIR = resolve(REPO_ROOT, "..", "shared", "data", "cdnow");
const SAMPLE = join(CDNOW_DIR, "CDNOW_sample.txt");
const CBS = join(CDNOW_DIR, "BTYD_cdnowSummary_cbs.csv");
const present = existsSync(SAMPLE) && existsSync(CBS);
const WEEK_TOLERANCE = 1e-6;

const run = promisify(execFile);
type Local = Awaited<ReturnType<typeof startLocal>>;
let local: Local | undefined;
let dataDir: string;

async function churnwatch(args: readonly string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["local/cli.js", ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

function server(): string[] {
  if (!local) throw new Error("local mode did not start");
  return ["--url", local.url, "--api-key", local.apiKey];
}

interface CbsRow {
  readonly cust: string;
  readonly x: number;
  readonly tx: number;
  readonly T: number;
}

function parseCsv(text: string, columns: readonly [string, string, string, string]): CbsRow[] {
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const names = (header ?? "").split(",");
  const at = columns.map((column) => names.indexOf(column));
  expect(at, `columns ${columns.join(",")} in ${header}`).not.toContain(-1);
  return lines.map((line) => {
    const fields = line.split(",");
    const [cust, x, tx, T] = at.map((index) => fields[index] as string);
    return { cust: cust as string, x: Number(x), tx: Number(tx), T: Number(T) };
  });
}

beforeAll(async () => {
  if (!present) return;
  dataDir = await mkdtemp(join(tmpdir(), "churnwatch-cdnow-"));
  local = await startLocal({ port: 0, dataDir, schedules: false });
});

afterAll(async () => {
  await local?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(!present && !process.env.CI)("CDNOW sample: replay and export", () => {
  let firstExport: string;

  it("replays CDNOW_sample.txt and exports the BTYD cbs of all 2,357 customers", async () => {
    const replay = await churnwatch([
      "replay",
      SAMPLE,
      "--format",
      "cdnow",
      "--currency",
      "USD",
      ...server(),
    ]);
    expect(replay.stderr).not.toMatch(/churnwatch:/);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain("replay of CDNOW_sample.txt (cdnow-sample), lines 1–6,919");
    expect(replay.stdout).toMatch(/events {7}6,919 posted in 14 batches/);
    expect(replay.stdout).toMatch(/accepted {5}6,919\n/);
    expect(replay.stdout).toMatch(/rejected {5}0\n/);
    expect(replay.stdout).toMatch(/: 6,919 applied as new, 0 already known, 0 dead-lettered/);

    const out = join(dataDir, "cbs-1.csv");
    const exported = await churnwatch([
      "export",
      "--format",
      "btyd-cbs",
      "--calibration-end",
      "1997-09-30",
      "--user-prefix",
      "cdnow-sample-",
      "--out",
      out,
      ...server(),
    ]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain("2,357 users with a purchase by 1997-09-30");
    expect(exported.stderr).toContain("Σx = 2,457");
    firstExport = await readFile(out, "utf8");

    const ours = parseCsv(firstExport, ["cust", "x", "t_x", "T"]);
    const published = parseCsv(await readFile(CBS, "utf8"), ["cust", "x", "t.x", "T.cal"]);
    expect(published).toHaveLength(2357);
    expect(ours.map((row) => row.cust)).toEqual(published.map((row) => row.cust));
    const mismatches = published.flatMap((expected, index) => {
      const actual = ours[index] as CbsRow;
      const same =
        actual.x === expected.x &&
        Math.abs(actual.tx - expected.tx) <= WEEK_TOLERANCE &&
        Math.abs(actual.T - expected.T) <= WEEK_TOLERANCE;
      return same ? [] : [{ expected, actual }];
    });
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(ours.reduce((sum, row) => sum + row.x, 0)).toBe(2457);
  }, 180_000);

  it("replays it again: nothing changes, every event counted as a duplicate", async () => {
    expect(firstExport, "the first replay ran").toBeDefined();
    const replay = await churnwatch([
      "replay",
      SAMPLE,
      "--format",
      "cdnow",
      "--currency",
      "USD",
      "--json",
      ...server(),
    ]);
    expect(replay.code).toBe(0);
    const summary = JSON.parse(replay.stdout) as ReplaySummary;
    expect(summary).toMatchObject({
      kind: "cdnow-sample",
      linesRead: 6919,
      eventsPosted: 6919,
      accepted: 6919,
      duplicatesInBatch: 0,
      duplicates: 6919,
      rejected: { count: 0 },
      unparseable: { count: 0 },
      pipeline: { settled: true, applied: 0, alreadyKnown: 6919, deadLettered: 0 },
    });

    const again = await churnwatch([
      "export",
      "--calibration-end",
      "1997-09-30",
      "--user-prefix",
      "cdnow-sample-",
      ...server(),
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout === firstExport, "the second export is byte-identical").toBe(true);
  }, 180_000);

  it("fits the BTYD models on the store, trains the churn model on an earlier date, and evaluates on the holdout", async () => {
    expect(firstExport, "the first replay ran").toBeDefined();
    const prefix = ["--user-prefix", "cdnow-sample-"];
    const fit = await churnwatch([
      "fit",
      "--calibration-end",
      "1997-09-30",
      ...prefix,
      "--json",
      ...server(),
    ]);
    expect(fit.code, fit.stderr).toBe(0);
    const fitted = JSON.parse(fit.stdout) as {
      status: string;
      version: number;
      customers: number;
      params: { bgNbd: Record<string, number> };
      report: { bgNbd: { logLikelihood: number } };
    };
    expect(fitted).toMatchObject({ status: "published", version: 1, customers: 2357 });
    const published = { r: 0.2425967, alpha: 4.413659, a: 0.7929869, b: 2.426164 };
    for (const [name, value] of Object.entries(published)) {
      expect(Math.abs((fitted.params.bgNbd[name] as number) / value - 1)).toBeLessThan(0.001);
    }
    expect(fitted.report.bgNbd.logLikelihood).toBeCloseTo(-9582.429, 1);

    // Labels from July–September only: nothing of the holdout is seen in training.
    const train = await churnwatch([
      "train",
      "--as-of",
      "1997-06-30",
      "--horizon",
      "92",
      "--label",
      "purchase",
      ...prefix,
      "--json",
      ...server(),
    ]);
    expect(train.code, train.stderr).toBe(0);
    // Purchase histories hold no interaction for trees to find: the regression wins held out.
    expect(JSON.parse(train.stdout)).toMatchObject({
      version: 1,
      rows: 2357,
      btydVersion: 1,
      algorithm: "logistic",
    });

    const evaluation = await churnwatch([
      "evaluate",
      "--calibration-end",
      "1997-09-30",
      "--holdout-end",
      "1998-06-30",
      "--label",
      "purchase",
      ...prefix,
      "--json",
      ...server(),
    ]);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    const report = JSON.parse(evaluation.stdout) as {
      population: number;
      positives: number;
      warnings: string[];
      models: { name: string; auc: number }[];
    };
    // 1,673 of 2,357 made no repeat purchase in weeks 40–78 (Σ x.star = 1,882 over the others).
    expect(report).toMatchObject({ population: 2357, positives: 1673, warnings: [] });
    const auc = (name: string) => report.models.find((m) => m.name === name)?.auc as number;
    expect(auc("recency")).toBeCloseTo(0.771, 3);
    // Measured 0.783 (published: logistic regression 0.781, Pareto/NBD 0.779, recency 0.771).
    expect(auc("churnwatch")).toBeGreaterThan(auc("recency"));
    // Above the best published figure on this holdout (logistic regression, 0.781).
    expect(auc("churnwatch")).toBeGreaterThan(0.781);
  }, 180_000);
});
