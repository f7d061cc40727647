import { describe, expect, it } from "vitest";
import {
  BTYD_CBS_HEADER,
  btydInputs,
  compareUserIds,
  formatBtydCbsCsv,
  formatBtydCbsRow,
} from "../../lambdas/domain/btyd.js";
import { dayNumberOfKey } from "../../lambdas/domain/calendar.js";
import { applyEvents } from "../../lambdas/domain/features.js";
import { purchase } from "../fixtures/events.js";

const day = dayNumberOfKey;
const CALIBRATION_END = day("1997-09-30");

describe("btydInputs (the CDNOW conventions of BTYD and lifetimes)", () => {
  it.each([
    {
      name: "one purchase: x 0, recency 0, age from the first purchase to the calibration end",
      days: ["1997-01-01"],
      expected: { x: 0, txDays: 0, ageDays: 272 },
    },
    {
      name: "the first purchase is time 0 and not counted",
      days: ["1997-01-01", "1997-01-18", "1997-08-02"],
      expected: { x: 2, txDays: 213, ageDays: 272 },
    },
    {
      name: "a purchase on the calibration end counts (inclusive)",
      days: ["1997-03-01", "1997-09-30"],
      expected: { x: 1, txDays: 213, ageDays: 213 },
    },
    {
      name: "purchases after the calibration end are ignored",
      days: ["1997-03-01", "1997-10-01", "1998-06-30"],
      expected: { x: 0, txDays: 0, ageDays: 213 },
    },
    {
      name: "a purchase on the first day only, the calibration end being that day",
      days: ["1997-09-30"],
      expected: { x: 0, txDays: 0, ageDays: 0 },
    },
  ])("$name", ({ days, expected }) => {
    const inputs = btydInputs({ purchaseDays: days.map(day) }, CALIBRATION_END);
    expect(inputs).toEqual({
      ...expected,
      tx: expected.txDays / 7,
      T: expected.ageDays / 7,
    });
  });

  it("is undefined when the first purchase comes after the calibration end, or there is none", () => {
    expect(btydInputs({ purchaseDays: [day("1997-10-01")] }, CALIBRATION_END)).toBeUndefined();
    expect(btydInputs({ purchaseDays: [] }, CALIBRATION_END)).toBeUndefined();
  });

  it("tolerates an unsorted list with repeats (min, max and distinct count)", () => {
    const purchaseDays = [day("1997-05-01"), day("1997-01-01"), day("1997-05-01")];
    expect(btydInputs({ purchaseDays }, CALIBRATION_END)).toMatchObject({ x: 1, txDays: 120 });
  });

  it("merges purchases on the same day into one, through the feature record", () => {
    // CDNOW sample customer 1: two orders on 1997-01-01 would be one purchase-day.
    const features = applyEvents(undefined, "app", "cdnow-1", [
      purchase("cdnow-1", "1997-01-01T12:00:00Z", 2933),
      purchase("cdnow-1", "1997-01-01T12:00:00Z", 1000),
      purchase("cdnow-1", "1997-01-18T12:00:00Z", 2973),
      purchase("cdnow-1", "1997-08-02T12:00:00Z", 1496),
      purchase("cdnow-1", "1997-12-12T12:00:00Z", 2648),
    ]);
    const inputs = btydInputs(features, CALIBRATION_END);
    // BTYD_cdnowSummary_cbs.csv, customer 1: 2.0, 30.428571428571427, 38.857142857142854
    expect(inputs).toMatchObject({ x: 2, tx: 30.428571428571427, T: 38.857142857142854 });
  });
});

describe("the btyd-cbs CSV", () => {
  it("prints the shortest decimal that reads back as the same double", () => {
    expect(formatBtydCbsRow({ cust: "1", x: 2, tx: 213 / 7, T: 272 / 7 })).toBe(
      "1,2,30.428571428571427,38.857142857142854",
    );
    expect(formatBtydCbsRow({ cust: "3", x: 0, tx: 0, T: 38 })).toBe("3,0,0,38");
  });

  it("has a header, one line per row and a final newline; odd IDs are quoted", () => {
    expect(
      formatBtydCbsCsv([
        { cust: "a", x: 1, tx: 1, T: 2 },
        { cust: 'b,"c"', x: 0, tx: 0, T: 0.5 },
      ]),
    ).toBe(`${BTYD_CBS_HEADER}\na,1,1,2\n"b,""c""",0,0,0.5\n`);
    expect(formatBtydCbsCsv([])).toBe("cust,x,t_x,T\n");
  });

  it("refuses a number that is not finite", () => {
    expect(() => formatBtydCbsRow({ cust: "1", x: 0, tx: Number.NaN, T: 0 })).toThrow(/finite/);
  });
});

describe("compareUserIds", () => {
  it.each([
    [
      ["10", "2", "1", "2357", "100"],
      ["1", "2", "10", "100", "2357"],
    ],
    [
      ["cdnow-sample-10", "cdnow-sample-9", "cdnow-sample-100"],
      ["cdnow-sample-9", "cdnow-sample-10", "cdnow-sample-100"],
    ],
    [
      ["u-b", "u-a", "u-10", "u-9"],
      ["u-9", "u-10", "u-a", "u-b"],
    ],
    [
      ["007", "7", "06"],
      ["06", "007", "7"],
    ],
    [
      ["a", "a-1", "a1", "A"],
      ["A", "a", "a1", "a-1"],
    ],
  ])("sorts %j as %j", (input, expected) => {
    expect([...input].sort(compareUserIds)).toEqual(expected);
  });

  it("is a total order: antisymmetric and zero only for equal IDs", () => {
    const ids = ["1", "01", "001", "a", "a1", "a01", "b", "10", "1a", "_", "-"];
    for (const a of ids) {
      for (const b of ids) {
        const ab = Math.sign(compareUserIds(a, b));
        expect(ab).toBe(-Math.sign(compareUserIds(b, a)) || 0);
        if (ab === 0) expect(a).toBe(b);
      }
    }
  });
});
