/**
 * The whole model loop on a small simulated shop, through the real commands and local mode:
 * simulate → train (labels only from before the calibration end) → evaluate against the
 * ground truth. Deterministic: the shop is seeded and every step is order-independent.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoreEvaluation } from "../../lambdas/use-cases/evaluate-on-store.js";
import { evaluateCommand } from "../../local/cli/commands/evaluate.js";
import { simulateCommand } from "../../local/cli/commands/simulate.js";
import { trainCommand } from "../../local/cli/commands/train.js";
import type { CliIo } from "../../local/cli/io.js";
import { startLocal } from "../../local/index.js";

type Local = Awaited<ReturnType<typeof startLocal>>;
let local: Local;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "churnwatch-model-it-"));
  local = await startLocal({ port: 0, dataDir, schedules: false });
});

afterAll(async () => {
  await local?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

interface Command<T> {
  parse(values: Record<string, unknown>, positionals: string[], env: NodeJS.ProcessEnv): T;
  run(options: T, io: CliIo): Promise<number>;
}

async function churnwatch<T>(command: Command<T>, flags: Record<string, string | boolean>) {
  const options = command.parse(
    { ...flags, url: local.url, "api-key": local.apiKey, json: true },
    [],
    {},
  );
  const out: string[] = [];
  const err: string[] = [];
  const code = await command.run(options, {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env: {},
  });
  return { code, json: () => JSON.parse(out.join("")), err: err.join("") };
}

describe("simulate, fit, train and evaluate on local mode", () => {
  it("learns the shop and warns its churners early, and not its promotion hunters", async () => {
    const truth = join(dataDir, "truth.csv");
    const simulated = await churnwatch(simulateCommand as Command<unknown>, {
      users: "200",
      days: "180",
      seed: "5",
      start: "2026-01-01",
      truth,
    });
    expect(simulated.code, simulated.err).toBe(0);

    // No `fit` here: on 161 purchasers the BG/NBD maximum lies on the boundary and the fit
    // reports it did not converge (so nothing is published; the CDNOW test covers fit). The
    // churn model trains on the rules and indicators alone then.
    const trained = await churnwatch(trainCommand as Command<unknown>, {
      "as-of": "2026-04-30",
      horizon: "30",
      snapshots: "3",
    });
    expect(trained.code, trained.err).toBe(0);

    const evaluated = await churnwatch(evaluateCommand as Command<unknown>, {
      "calibration-end": "2026-05-30",
      "holdout-end": "2026-06-29",
      truth,
    });
    expect(evaluated.code, evaluated.err).toBe(0);
    const report = evaluated.json() as StoreEvaluation;
    expect(report.warnings).toEqual([]);
    const auc = (name: string) => report.models.find((m) => m.name === name)?.auc as number;
    expect(auc("churnwatch")).toBeGreaterThan(auc("recency"));
    expect(report.leadTime?.median ?? 0).toBeGreaterThanOrEqual(7);
    // The model saw three months of their sale-to-sale rhythm: none is at risk after a sale.
    // (On 120 days, trained on one month of history, 5 of 25 were: the rhythm has to be seen.)
    const hunters = report.promotionHunters ?? [];
    expect(hunters.length).toBeGreaterThan(0);
    for (const check of hunters) expect(check.warned).toBe(0);
  }, 240_000);
});
