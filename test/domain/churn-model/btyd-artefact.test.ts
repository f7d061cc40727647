import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseBtydArtefact } from "../../../lambdas/domain/churn-model/artefacts.js";
import {
  btydSignals,
  fitBtydArtefact,
  NO_PURCHASE_SIGNALS,
  paretoNbdExpectedGivenAlive,
} from "../../../lambdas/domain/churn-model/btyd-artefact.js";
import {
  mbgNbdPAlive,
  paretoNbdConditionalExpectedPurchases,
  paretoNbdPAlive,
} from "../../../lambdas/domain/models/index.js";
import { cdnowCbs, cdnowSpend } from "../models/cdnow.js";

const DAY = (key: string) => Date.parse(`${key}T00:00:00Z`) / 86_400_000;

const rows = cdnowCbs().map(({ x, tx, T }) => ({ x, tx, T }));
const spend = cdnowSpend().map((row) => ({ x: row.x, zbar: row.zbar ?? 0 }));
const fit = fitBtydArtefact(rows, "1997-09-30", spend);

describe("fitBtydArtefact on CDNOW", () => {
  it("fits all four models to the published parameters and converges", () => {
    expect(fit.converged).toBe(true);
    const { artefact } = fit;
    expect(artefact).toMatchObject({ kind: "btyd", unit: "weeks", customers: 2357 });
    const published = {
      bgNbd: { r: 0.2425967, alpha: 4.413659, a: 0.7929869, b: 2.426164 },
      paretoNbd: { r: 0.5534, alpha: 10.5802, s: 0.6061, beta: 11.6562 },
      gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44 },
    };
    for (const [model, params] of Object.entries(published)) {
      const fitted = artefact[model as keyof typeof published]?.params as Record<string, number>;
      for (const [name, value] of Object.entries(params)) {
        expect(Math.abs((fitted[name] as number) / value - 1)).toBeLessThan(0.01);
      }
    }
    expect(fit.report.paretoNbd.converged).toBe(true);
    expect(fit.report.gammaGamma?.customers).toBe(946);
  });

  it("stores an artefact that survives JSON and validation unchanged", () => {
    expect(parseBtydArtefact(JSON.parse(JSON.stringify(fit.artefact)))).toEqual(fit.artefact);
  });

  it("leaves Gamma-Gamma out without spend rows", () => {
    const small = fitBtydArtefact(rows.slice(0, 400), "1997-09-30");
    expect(small.artefact.gammaGamma).toBeNull();
    expect(small.report.gammaGamma).toBeNull();
  });

  it.each(["1997-9-30", "1997-02-30", "yesterday"])("refuses calibration end %s", (end) => {
    expect(() => fitBtydArtefact(rows, end)).toThrow(/calibrationEnd/);
  });

  it("says so, with an artefact, when the data cannot identify a model", () => {
    const nobodyReturned = Array.from({ length: 50 }, (_, i) => ({ x: 0, tx: 0, T: 10 + i }));
    const failed = fitBtydArtefact(nobodyReturned, "1997-09-30");
    expect(failed.converged).toBe(false);
    expect(parseBtydArtefact(JSON.parse(JSON.stringify(failed.artefact)))).toEqual(failed.artefact);
  });
});

describe("btydSignals", () => {
  const { artefact } = fit;

  it("gives the neutral signals to a user without a purchase by asOf", () => {
    const asOf = new Date("2026-03-01T12:00:00Z");
    expect(btydSignals({ purchaseDays: [] }, asOf, artefact, 30)).toBe(NO_PURCHASE_SIGNALS);
    expect(btydSignals({ purchaseDays: [DAY("2026-03-02")] }, asOf, artefact, 30)).toEqual({
      pAliveParetoNbd: 0,
      pAliveMbgNbd: 0,
      expectedPurchases: 0,
      hasPurchased: false,
    });
  });

  it.each([
    // purchase days, asOf, horizon days → CBS in weeks
    [["2026-01-01"], "2026-01-15T10:00:00Z", 28, { x: 0, tx: 0, T: 2 }],
    [["2026-01-01", "2026-01-08", "2026-01-29"], "2026-03-05T10:00:00Z", 14, { x: 2, tx: 4, T: 9 }],
  ])("reads %j as of %s in weeks", (days, asOf, horizon, customer) => {
    const signals = btydSignals({ purchaseDays: days.map(DAY) }, new Date(asOf), artefact, horizon);
    expect(signals.hasPurchased).toBe(true);
    expect(signals.pAliveParetoNbd).toBeCloseTo(
      paretoNbdPAlive(artefact.paretoNbd.params, customer),
      12,
    );
    expect(signals.pAliveMbgNbd).toBeCloseTo(mbgNbdPAlive(artefact.mbgNbd.params, customer), 12);
    expect(signals.expectedPurchases).toBeCloseTo(
      paretoNbdConditionalExpectedPurchases(artefact.paretoNbd.params, customer, horizon / 7),
      12,
    );
  });

  it("reads the calibration day in the user's time zone", () => {
    // 20:00 UTC is already the next day in Shanghai: the purchase that day counts there only.
    const asOf = new Date("2026-01-08T20:00:00Z");
    const features = { purchaseDays: [DAY("2026-01-01"), DAY("2026-01-09")] };
    expect(btydSignals(features, asOf, artefact, 7)).not.toEqual(
      btydSignals({ ...features, timezone: "Asia/Shanghai" }, asOf, artefact, 7),
    );
  });
});

describe("the expected purchases from P(alive) at hand", () => {
  it("are paretoNbdConditionalExpectedPurchases to the bit", () => {
    const params = fc.record({
      r: fc.double({ min: 0.01, max: 20, noNaN: true }),
      alpha: fc.double({ min: 0.01, max: 200, noNaN: true }),
      s: fc.oneof(fc.constant(1), fc.double({ min: 0.01, max: 20, noNaN: true })),
      beta: fc.double({ min: 0.01, max: 200, noNaN: true }),
    });
    const customer = fc
      .tuple(fc.nat(60), fc.nat(500), fc.nat(500))
      .map(([x, a, b]) => ({ x, tx: Math.min(a, b) / 7, T: Math.max(a, b) / 7 }));
    fc.assert(
      fc.property(params, customer, fc.integer({ min: 1, max: 365 }), (p, c, days) => {
        const expected = paretoNbdConditionalExpectedPurchases(p, c, days / 7);
        const pAlive = paretoNbdPAlive(p, c);
        expect(Object.is(paretoNbdExpectedGivenAlive(p, c, days / 7, pAlive), expected)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("are what btydSignals reports, with the same P(alive) as the model functions", () => {
    const { artefact } = fit;
    const pareto = artefact.paretoNbd.params;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: DAY("2025-01-01"), max: DAY("2026-02-28") }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 90 }),
        (days, horizon) => {
          const purchaseDays = [...days].sort((a, b) => a - b);
          const asOf = new Date("2026-03-01T12:00:00Z");
          const first = purchaseDays[0] as number;
          const last = purchaseDays.at(-1) as number;
          const today = DAY("2026-03-01");
          const customer = {
            x: purchaseDays.length - 1,
            tx: (last - first) / 7,
            T: (today - first) / 7,
          };
          const signals = btydSignals({ purchaseDays }, asOf, artefact, horizon);
          expect(signals.pAliveParetoNbd).toBe(paretoNbdPAlive(pareto, customer));
          expect(signals.pAliveMbgNbd).toBe(mbgNbdPAlive(artefact.mbgNbd.params, customer));
          expect(
            Object.is(
              signals.expectedPurchases,
              paretoNbdConditionalExpectedPurchases(pareto, customer, horizon / 7),
            ),
          ).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
