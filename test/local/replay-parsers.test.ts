import { describe, expect, it } from "vitest";
import { UsageError } from "../../local/errors.js";
import {
  calendarDate,
  createLineParser,
  deriveEventId,
  type LineResult,
  type ParserOptions,
  parseColumnMap,
  parseCsvLine,
} from "../../local/replay/parsers.js";

function parseAll(options: ParserOptions, lines: readonly string[]): LineResult[] {
  const parser = createLineParser(options);
  return lines.map((text, index) => parser.parse(text, index + 1));
}

function events(results: readonly LineResult[]) {
  return results.flatMap((result) => (result.kind === "event" ? [result.event] : []));
}

const cdnow: ParserOptions = { format: "cdnow", currency: "USD" };

describe("CDNOW rows", () => {
  it("reads CDNOW_sample.txt rows (CRLF, leading blanks) as purchases of cdnow-sample-<sample_id>", () => {
    const [first] = parseAll(cdnow, [" 00004 0001 19970101  2   29.33\r"]);
    expect(first).toEqual({
      kind: "event",
      derivedId: true,
      event: {
        eventId: expect.stringMatching(/^cdnow-sample-[0-9a-f]{32}$/),
        userId: "cdnow-sample-1",
        type: "purchase",
        occurredAt: "1997-01-01T12:00:00Z",
        properties: {
          orderId: expect.stringMatching(/^cdnow-sample-/),
          amount: 29.33,
          currency: "USD",
        },
      },
    });
    const event = (first as { event: Record<string, unknown> }).event;
    expect((event.properties as { orderId: string }).orderId).toBe(event.eventId);
  });

  it("reads CDNOW_master.txt: skips the header, user cdnow-master-<customer_id>", () => {
    const results = parseAll(cdnow, [
      " customer_id  date number_of_cds  dollar_value\r",
      " 00001 19970101  1   11.77\r",
      " 23570 19970325  2   42.96\r",
    ]);
    expect(results[0]).toEqual({ kind: "skip" });
    expect(events(results).map((event) => [event.userId, event.occurredAt])).toEqual([
      ["cdnow-master-1", "1997-01-01T12:00:00Z"],
      ["cdnow-master-23570", "1997-03-25T12:00:00Z"],
    ]);
  });

  it("derives the same IDs on every run; identical rows get different IDs; spacing does not matter", () => {
    const rows = [" 01668 0147 19970731  1    9.77", "01668 0147 19970731 1 9.77\r", ""];
    const first = events(parseAll(cdnow, rows)).map((event) => event.eventId);
    const again = events(parseAll(cdnow, rows)).map((event) => event.eventId);
    expect(first).toHaveLength(2);
    expect(new Set(first).size).toBe(2);
    expect(again).toEqual(first);
    // A prefix changes the user, not the event ID (dedupe markers are per user anyway).
    const prefixed = events(parseAll({ ...cdnow, userPrefix: "" }, rows));
    expect(prefixed.map((event) => event.eventId)).toEqual(first);
    expect(prefixed[0]?.userId).toBe("147");
  });

  it("sample and master rows of the same purchase get different IDs (the file kind is part of it)", () => {
    const [sample] = events(parseAll(cdnow, ["00004 0001 19970101 2 29.33"]));
    const [master] = events(parseAll(cdnow, ["00004 19970101 2 29.33"]));
    expect(sample?.eventId).not.toBe(master?.eventId);
  });

  it.each([
    ["00004 0001 19970101", /expected 4 columns .* or 5/],
    ["00004 0001 19970230 2 29.33", /not a calendar date/],
    ["00004 0001 1997-01-01 2 29.33", /not a calendar date/],
    ["00004 0001 19970101 two 29.33", /number of CDs/],
    ["00004 0001 19970101 2 $29.33", /dollar value/],
    ["00004 x001 19970101 2 29.33", /customer ID/],
  ])("reports %j as unparseable", (row, reason) => {
    const [result] = parseAll(cdnow, [row]);
    expect(result).toMatchObject({ kind: "error", reason: expect.stringMatching(reason) });
  });

  it("holds the column count of the first data row for the rest of the file", () => {
    const results = parseAll(cdnow, ["00004 0001 19970101 2 29.33", "00001 19970101 1 11.77"]);
    expect(results[1]).toMatchObject({
      kind: "error",
      reason: expect.stringContaining("expected 5 columns"),
    });
  });

  it("needs a currency", () => {
    expect(() => createLineParser({ format: "cdnow" })).toThrow(UsageError);
  });
});

describe("JSONL lines", () => {
  const jsonl: ParserOptions = { format: "jsonl" };

  it("passes events through, derives a missing eventId from the line, adds the user prefix", () => {
    const line = '{"userId":"u-1","type":"app_open","occurredAt":"2024-05-01T10:00:00Z"}';
    const results = parseAll({ ...jsonl, userPrefix: "shop:" }, [
      `\uFEFF${line}\r`,
      '{"eventId":"e-2","userId":"u-2","type":"login","occurredAt":"2024-05-01T10:00:00Z"}',
      line,
      "   ",
    ]);
    expect(results[0]).toMatchObject({
      kind: "event",
      derivedId: true,
      event: { eventId: expect.stringMatching(/^jsonl-[0-9a-f]{32}$/), userId: "shop:u-1" },
    });
    expect(results[1]).toMatchObject({ derivedId: false, event: { eventId: "e-2" } });
    // The same line twice: two events, each with its own stable ID.
    const ids = events(results).map((event) => event.eventId);
    expect(ids[2]).not.toBe(ids[0]);
    expect(ids[2]).toBe(deriveEventId("jsonl", line, 1));
    expect(results[3]).toEqual({ kind: "skip" });
  });

  it.each([
    ['{"userId": "u-1",', "not valid JSON"],
    ["[1, 2]", "a line must be one event object"],
    ["42", "a line must be one event object"],
    ["null", "a line must be one event object"],
  ])("reports %j as unparseable", (line, reason) => {
    const [result] = parseAll(jsonl, [line]);
    expect(result).toMatchObject({ kind: "error", reason: expect.stringContaining(reason) });
  });
});

describe("CSV records", () => {
  it.each([
    ["a,b,c", ["a", "b", "c"]],
    ['"a,b",c', ["a,b", "c"]],
    ['"say ""hi""",', ['say "hi"', ""]],
    [",,", ["", "", ""]],
    ["", [""]],
  ])("parses %j", (text, fields) => {
    expect(parseCsvLine(text)).toEqual({ ok: true, fields });
  });

  it.each([
    ['"open', /not closed/],
    ['"a"b,c', /after a quoted field/],
    ['a"b,c', /quote inside an unquoted field/],
  ])("refuses %j", (text, error) => {
    expect(parseCsvLine(text)).toEqual({ ok: false, error: expect.stringMatching(error) });
  });

  const orders: ParserOptions = {
    format: "csv",
    currency: "EUR",
    type: "purchase",
    map: { customer: "userId", day: "occurredAt", total: "amount" },
  };

  it("maps columns to fields, converts numbers and dates, fills currency and orderId", () => {
    const results = parseAll(orders, [
      "customer,day,total,couponCode,note\r",
      'c-1,2024-05-01,12.50,SPRING,"hello, world"\r',
      "c-2,20240502T09:00:00+08:00,3,,\r",
    ]);
    expect(results[0]).toEqual({ kind: "skip" });
    const [first, second] = events(results);
    expect(first).toEqual({
      eventId: expect.stringMatching(/^csv-[0-9a-f]{32}$/),
      userId: "c-1",
      type: "purchase",
      occurredAt: "2024-05-01T12:00:00Z",
      properties: {
        amount: 12.5,
        couponCode: "SPRING",
        currency: "EUR",
        orderId: first?.eventId,
      },
    });
    // Not a bare date: passed through for the API to judge.
    expect(second).toMatchObject({
      occurredAt: "20240502T09:00:00+08:00",
      properties: { amount: 3 },
    });
  });

  it("maps columns named like fields without --map; a type column wins over nothing", () => {
    const [event] = events(
      parseAll({ format: "csv" }, [
        "eventId,userId,type,occurredAt,rating,context.timezone",
        "e-1,u-1,review,2024-05-01T10:00:00Z,5,Asia/Shanghai",
      ]),
    );
    expect(event).toEqual({
      eventId: "e-1",
      userId: "u-1",
      type: "review",
      occurredAt: "2024-05-01T10:00:00Z",
      properties: { rating: 5 },
      context: { timezone: "Asia/Shanghai" },
    });
  });

  it.each([
    ["c-1,2024-05-01,abc,,", /column "total" \(amount\) is not a number/],
    ["c-1,2024-05-01,1,2", /expected 5 fields/],
    ['c-1,"2024-05-01,1,,', /not a CSV record/],
  ])("reports row %j as unparseable", (row, reason) => {
    const results = parseAll(orders, ["customer,day,total,couponCode,note", row]);
    expect(results[1]).toMatchObject({ kind: "error", reason: expect.stringMatching(reason) });
  });

  it("refuses a header that lacks a mapped column or a needed field, as a usage error", () => {
    expect(() => parseAll(orders, ["customer,when,total"])).toThrow(/--map names column "day"/);
    expect(() => parseAll({ format: "csv" }, ["userId,occurredAt"])).toThrow(
      /no CSV column for type \(or --type\)/,
    );
    expect(() => parseAll({ format: "csv" }, ["userId,occurredAt"])).toThrow(UsageError);
  });

  it("derives the same IDs on every run and different ones for repeated rows", () => {
    const lines = ["userId,type,occurredAt", "u,login,2024-05-01", "u,login,2024-05-01"];
    const ids = events(parseAll({ format: "csv" }, lines)).map((event) => event.eventId);
    expect(ids).toEqual(events(parseAll({ format: "csv" }, lines)).map((event) => event.eventId));
    expect(new Set(ids).size).toBe(2);
  });
});

describe("--map", () => {
  it("reads pairs, from one flag or several", () => {
    expect(parseColumnMap(["a=userId, b=occurredAt", "c=properties.sku"])).toEqual({
      a: "userId",
      b: "occurredAt",
      c: "properties.sku",
    });
  });

  it.each([
    [["a"], /column=field pairs/],
    [["=userId"], /column=field pairs/],
    [["a=nope"], /unknown event field "nope"/],
    [["a=userId,a=type"], /names column "a" twice/],
    [["a=userId,b=userId"], /maps two columns to "userId"/],
  ])("refuses %j", (entries, message) => {
    expect(() => parseColumnMap(entries)).toThrow(message);
  });
});

describe("calendarDate", () => {
  it.each([
    ["19970101", "1997-01-01"],
    ["1997-01-01", "1997-01-01"],
    ["2024-02-29", "2024-02-29"],
    ["2023-02-29", undefined],
    ["1997011", undefined],
  ])("%s → %s", (text, expected) => {
    expect(calendarDate(text)).toBe(expected);
  });
});
