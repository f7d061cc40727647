import { describe, expect, it } from "vitest";
import { cbsData, parseCbsCsv } from "../../../lambdas/domain/models/index.js";

describe("cbsData", () => {
  it("aggregates identical (x, t_x, T) rows with weights and indexes the distinct x", () => {
    const data = cbsData([
      { x: 0, tx: 0, T: 10 },
      { x: 2, tx: 5, T: 10 },
      { x: 0, tx: 0, T: 10 },
      { x: 2, tx: 6, T: 10 },
    ]);
    expect(data.customers).toBe(4);
    expect([...data.weight]).toEqual([2, 1, 1]);
    expect([...data.xLevels]).toEqual([0, 2]);
    expect([...data.xLevel]).toEqual([0, 1, 1]);
  });

  it.each([
    [{ x: -1, tx: 0, T: 1 }, /customer row 0: x = -1 is negative/],
    [{ x: 1, tx: 2, T: 1 }, /T = 1 is before t_x = 2/],
    [{ x: 0, tx: 1, T: 3 }, /t_x = 1 must be 0 when x = 0/],
    [{ x: 1, tx: Number.NaN, T: 3 }, /finite/],
  ])("refuses %o", (row, message) => {
    expect(() => cbsData([row])).toThrow(message);
  });
});

describe("parseCbsCsv", () => {
  it("reads BTYD's cbs columns", () => {
    const rows = parseCbsCsv(
      "cust,x,t.x,T.cal,x.star\r\n1,2.0,30.43,38.86,1.0\r\n2,0,0,38.86,0\r\n",
    );
    expect(rows).toEqual([
      { cust: "1", x: 2, tx: 30.43, T: 38.86, xStar: 1 },
      { cust: "2", x: 0, tx: 0, T: 38.86, xStar: 0 },
    ]);
  });

  it("reads lifetimes' and churnwatch's spellings", () => {
    expect(parseCbsCsv("ID,frequency,recency,T\n7,1,2,3\n")).toEqual([
      { cust: "7", x: 1, tx: 2, T: 3 },
    ]);
    expect(parseCbsCsv('cust,x,t_x,T\n"a,b",1,2,3\n')).toEqual([
      { cust: "a,b", x: 1, tx: 2, T: 3 },
    ]);
    expect(parseCbsCsv("ID,x,t_x,T,zbar\n1,2,30.43,38.86,22.35\n")[0]?.zbar).toBe(22.35);
  });

  it("names the missing column or the bad value", () => {
    expect(() => parseCbsCsv("cust,x,T\n1,2,3\n")).toThrow(/no t\.x \/ t_x \/ recency column/);
    expect(() => parseCbsCsv("cust,x,t_x,T\n1,two,2,3\n")).toThrow(/line 2: x = "two"/);
    expect(() => parseCbsCsv("")).toThrow(/empty/);
  });
});
