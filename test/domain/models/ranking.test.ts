/**
 * The note in ../shared/data/cdnow/README.md, checked: on the CDNOW holdout (churned = no repeat
 * purchase in weeks 40–78), BG/NBD's P(alive) ranks churn badly on its own — it is exactly 1 for
 * the 1,411 customers with x = 0 — while expected purchases, MBG/NBD or Pareto/NBD P(alive) and
 * plain recency rank far better.
 */
import { describe, expect, it } from "vitest";
import {
  bgNbd,
  type Customer,
  cbsData,
  mbgNbd,
  type PurchaseModel,
  paretoNbd,
} from "../../../lambdas/domain/models/index.js";
import { cdnowCbs } from "./cdnow.js";

const rows = cdnowCbs();
const data = cbsData(rows);
const churned = rows.map((row) => row.xStar === 0);

/** Area under the ROC curve of `scores` (higher = more likely churned), ties counted half. */
function auc(scores: readonly number[], labels: readonly boolean[]): number {
  const order = scores
    .map((_, i) => i)
    .sort((p, q) => (scores[p] as number) - (scores[q] as number));
  const ranks = new Array<number>(scores.length).fill(0);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1] as number] === scores[order[i] as number])
      j++;
    for (let k = i; k <= j; k++) ranks[order[k] as number] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const positives = labels.filter(Boolean).length;
  const negatives = labels.length - positives;
  const rankSum = labels.reduce((sum, label, k) => (label ? sum + (ranks[k] as number) : sum), 0);
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function aucs<P>(model: PurchaseModel<P>) {
  const fit = model.fit(data);
  expect(fit.converged).toBe(true);
  return {
    pAlive: auc(
      rows.map((row: Customer) => 1 - model.pAlive(fit.params, row)),
      churned,
    ),
    expected: auc(
      rows.map((row: Customer) => -model.conditionalExpectedPurchases(fit.params, row, 39)),
      churned,
    ),
  };
}

describe("churn ranking on the CDNOW holdout (AUC)", () => {
  it("BG/NBD P(alive) alone ranks badly (≈ 0.32); its expected purchases well (≈ 0.77)", () => {
    const bg = aucs(bgNbd);
    expect(bg.pAlive).toBeGreaterThan(0.3);
    expect(bg.pAlive).toBeLessThan(0.34);
    expect(bg.expected).toBeGreaterThan(0.765);
    expect(bg.expected).toBeLessThan(0.785);
  });

  it("MBG/NBD and Pareto/NBD P(alive) rank far better; Pareto/NBD expected purchases 0.779", () => {
    const mbg = aucs(mbgNbd);
    const pareto = aucs(paretoNbd);
    expect(mbg.pAlive).toBeGreaterThan(0.65);
    expect(pareto.pAlive).toBeGreaterThan(0.7);
    expect(Math.abs(pareto.expected - 0.779)).toBeLessThan(0.001);
  });

  it("recency ranks at 0.771", () => {
    const recency = auc(
      rows.map((row) => row.T - row.tx),
      churned,
    );
    expect(Math.abs(recency - 0.771)).toBeLessThan(0.001);
  });
});
