import { describe, expect, it } from "vitest";
import { simulateShop } from "../../../lambdas/domain/simulation/shop.js";
import {
  formatTruthCsv,
  parseTruthCsv,
  TRUTH_CSV_HEADER,
  TruthCsvError,
} from "../../../lambdas/domain/simulation/truth-csv.js";

describe("truth CSV", () => {
  it("round-trips a simulated shop's truth", () => {
    const shop = simulateShop({
      users: 200,
      days: 60,
      seed: 5,
      start: new Date("2026-01-01T00:00:00Z"),
    });
    const text = formatTruthCsv(shop.truth);
    expect(text.startsWith(`${TRUTH_CSV_HEADER}\n`)).toBe(true);
    expect(parseTruthCsv(text)).toEqual(shop.truth);
  });

  it("writes null as an empty field and reads CRLF, a BOM and blank lines", () => {
    const text = formatTruthCsv([
      { userId: "sim-000001", type: "loyal", lastActiveDate: "2026-02-01", churnDate: null },
      { userId: "sim-000002", type: "promotion_hunter", lastActiveDate: null, churnDate: null },
    ]);
    expect(text).toBe(
      `${TRUTH_CSV_HEADER}\nsim-000001,loyal,2026-02-01,\nsim-000002,promotion_hunter,,\n`,
    );
    expect(parseTruthCsv(`\uFEFF${text.replaceAll("\n", "\r\n")}\r\n`)).toHaveLength(2);
  });

  it.each([
    { text: "", error: /line 1: the file is empty/ },
    { text: "user,type\n", error: /line 1: expected the header/ },
    {
      text: `${TRUTH_CSV_HEADER}\nsim-1,loyal,2026-01-01\n`,
      error: /line 2: expected 4 fields, found 3/,
    },
    {
      text: `${TRUTH_CSV_HEADER}\nsim-1,loyal,,\nsim-2,bored,,\n`,
      error: /line 3: unknown type "bored"/,
    },
    {
      text: `${TRUTH_CSV_HEADER}\nsim-1,loyal,2026-02-30,\n`,
      error: /line 2: lastActiveDate "2026-02-30"/,
    },
    {
      text: `${TRUTH_CSV_HEADER}\na@b.c,loyal,,\n`,
      error: /line 2: "a@b.c" is not a valid user ID/,
    },
    {
      text: `${TRUTH_CSV_HEADER}\nsim-1,loyal,,\n\nsim-1,loyal,,\n`,
      error: /line 4: user sim-1 appears twice/,
    },
    {
      text: `${TRUTH_CSV_HEADER}\nsim-1,declining,2026-03-01,2026-02-01\n`,
      error: /line 2: churnDate must come after lastActiveDate/,
    },
  ])("names the line: $error", ({ text, error }) => {
    expect(() => parseTruthCsv(text)).toThrow(TruthCsvError);
    expect(() => parseTruthCsv(text)).toThrow(error);
  });
});
