/**
 * Turns the lines of a backfill file into behaviour events for `churnwatch replay`: JSONL (one
 * event per line), CSV (a header row and a column mapping) and the CDNOW files
 * (`CDNOW_sample.txt`, `CDNOW_master.txt`). One line is one event.
 *
 * Event IDs that the file does not carry are derived from the line itself: the format, the
 * line's content and how many identical lines came before it in the file. Replaying the same
 * file again gives the same IDs, so the pipeline recognises every event as already applied;
 * two identical rows (CDNOW has them: two equal orders on one day) stay two events.
 */
import { createHash } from "node:crypto";
import { UsageError } from "../errors.js";

export type ReplayFormat = "jsonl" | "csv" | "cdnow";
export const REPLAY_FORMATS: readonly ReplayFormat[] = ["jsonl", "csv", "cdnow"];

/** What a CDNOW file turned out to be, from its column count. */
export type CdnowKind = "cdnow-sample" | "cdnow-master";

/** Prepended to CDNOW user IDs unless --user-prefix says otherwise (see the replay help). */
export const CDNOW_DEFAULT_PREFIX: Readonly<Record<CdnowKind, string>> = {
  "cdnow-sample": "cdnow-sample-",
  "cdnow-master": "cdnow-master-",
};

export type ReplayEvent = Record<string, unknown>;

export type LineResult =
  | { readonly kind: "event"; readonly event: ReplayEvent; readonly derivedId: boolean }
  /** `reason` groups errors in the summary; `detail` says what exactly was wrong on this line. */
  | { readonly kind: "error"; readonly reason: string; readonly detail?: string }
  /** A blank line or a header. */
  | { readonly kind: "skip" };

export interface LineParser {
  /** `text` without its line break (a trailing `\r` is tolerated); `line` is 1-based. */
  parse(text: string, line: number): LineResult;
  /** What the file is, once known (`cdnow-sample`, `csv`, …), for the summary. */
  describe(): string;
}

/** CSV column mapping targets: where each lands in the event, and whether it is a number. */
type FieldSpec = {
  readonly at: "top" | "properties" | "context";
  readonly number?: "int" | "real";
};

export const CSV_FIELDS: Readonly<Record<string, FieldSpec>> = {
  eventId: { at: "top" },
  userId: { at: "top" },
  type: { at: "top" },
  occurredAt: { at: "top" },
  orderId: { at: "properties" },
  amount: { at: "properties", number: "real" },
  currency: { at: "properties" },
  couponCode: { at: "properties" },
  durationSec: { at: "properties", number: "real" },
  ms: { at: "properties", number: "real" },
  page: { at: "properties" },
  query: { at: "properties" },
  resultCount: { at: "properties", number: "int" },
  productId: { at: "properties" },
  rating: { at: "properties", number: "int" },
  timezone: { at: "context" },
  platform: { at: "context" },
  deviceId: { at: "context" },
  region: { at: "context" },
};

/** `properties.<name>` and `context.<name>` reach any other property (as a string). */
const NESTED_FIELD = /^(properties|context)\.([A-Za-z_][A-Za-z0-9_]*)$/;

export function isCsvField(field: string): boolean {
  return Object.hasOwn(CSV_FIELDS, field) || NESTED_FIELD.test(field);
}

export interface ParserOptions {
  readonly format: ReplayFormat;
  /** Prepended to every user ID; CDNOW defaults to CDNOW_DEFAULT_PREFIX. */
  readonly userPrefix?: string;
  /** CDNOW: the currency of the dollar amounts. CSV: for money events without a currency column. */
  readonly currency?: string;
  /** CSV: column name → event field. */
  readonly map?: Readonly<Record<string, string>>;
  /** CSV: the event type of every row when no column maps to `type`. */
  readonly type?: string;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Counts identical contents, so the n-th copy of a line gets its own, stable ID. */
class Occurrences {
  private readonly seen = new Map<string, number>();

  next(content: string): number {
    // A digest keeps memory flat for long lines; 96 bits make a collision beyond reach.
    const key = sha256(content).slice(0, 24);
    const index = this.seen.get(key) ?? 0;
    this.seen.set(key, index + 1);
    return index;
  }
}

/** `<kind>-<32 hex>`: the first 128 bits of SHA-256 over kind, content and occurrence. */
export function deriveEventId(kind: string, content: string, occurrence: number): string {
  return `${kind}-${sha256(`${kind}\n${content}\n${occurrence}`).slice(0, 32)}`;
}

function stripLineEnd(text: string): string {
  return text.endsWith("\r") ? text.slice(0, -1) : text;
}

/** `YYYYMMDD` or `YYYY-MM-DD` that is a calendar date → `YYYY-MM-DD`, else undefined. */
export function calendarDate(text: string): string | undefined {
  const match = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text);
  if (!match) return undefined;
  const iso = `${match[1]}-${match[2]}-${match[3]}`;
  const parsed = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === iso
    ? iso
    : undefined;
}

/** A date without a time of day is taken as noon UTC: the day stays the same in most zones. */
function noonUtc(isoDate: string): string {
  return `${isoDate}T12:00:00Z`;
}

function withoutLeadingZeros(digits: string): string {
  return digits.replace(/^0+(?=\d)/, "");
}

// ---------------------------------------------------------------------------------------------
// CDNOW

const CDNOW_COLUMNS: Readonly<Record<CdnowKind, string>> = {
  "cdnow-sample": "master_id sample_id date cds dollars",
  "cdnow-master": "customer_id date cds dollars",
};

function createCdnowParser(options: ParserOptions): LineParser {
  const currency = options.currency;
  if (!currency) throw new UsageError("churnwatch replay: --format cdnow needs --currency");
  const occurrences = new Occurrences();
  let kind: CdnowKind | undefined;
  let dataSeen = false;

  return {
    describe: () => kind ?? "cdnow",
    parse(raw) {
      const text = stripLineEnd(raw).trim();
      if (text === "") return { kind: "skip" };
      const fields = text.split(/\s+/);
      // CDNOW_master.txt starts with " customer_id  date number_of_cds  dollar_value".
      if (!dataSeen && !/^\d/.test(text)) return { kind: "skip" };
      dataSeen = true;
      const lineKind: CdnowKind | undefined =
        fields.length === 5 ? "cdnow-sample" : fields.length === 4 ? "cdnow-master" : undefined;
      if (!lineKind || (kind !== undefined && lineKind !== kind)) {
        const expected = kind
          ? `${CDNOW_COLUMNS[kind].split(" ").length} columns (${CDNOW_COLUMNS[kind]})`
          : `4 columns (${CDNOW_COLUMNS["cdnow-master"]}) or 5 (${CDNOW_COLUMNS["cdnow-sample"]})`;
        return {
          kind: "error",
          reason: `expected ${expected}`,
          detail: `found ${fields.length}`,
        };
      }
      kind = lineKind;
      const content = fields.join(" ");
      const occurrence = occurrences.next(content);
      const [customer, rawDate, cds, dollars] = kind === "cdnow-sample" ? fields.slice(1) : fields;
      if (kind === "cdnow-sample" && !/^\d+$/.test(fields[0] as string)) {
        return { kind: "error", reason: "master_id is not a number", detail: fields[0] };
      }
      if (!/^\d+$/.test(customer as string)) {
        return { kind: "error", reason: "the customer ID is not a number", detail: customer };
      }
      const date = calendarDate(rawDate as string);
      if (!date || !/^\d{8}$/.test(rawDate as string)) {
        return {
          kind: "error",
          reason: "the date is not a calendar date YYYYMMDD",
          detail: rawDate,
        };
      }
      if (!/^\d+$/.test(cds as string)) {
        return { kind: "error", reason: "the number of CDs is not a whole number", detail: cds };
      }
      if (!/^\d+(\.\d+)?$/.test(dollars as string)) {
        return { kind: "error", reason: "the dollar value is not an amount", detail: dollars };
      }
      const eventId = deriveEventId(kind, content, occurrence);
      const prefix = options.userPrefix ?? CDNOW_DEFAULT_PREFIX[kind];
      return {
        kind: "event",
        derivedId: true,
        event: {
          eventId,
          userId: `${prefix}${withoutLeadingZeros(customer as string)}`,
          type: "purchase",
          occurredAt: noonUtc(date),
          properties: { orderId: eventId, amount: Number(dollars), currency },
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// JSONL

function createJsonlParser(options: ParserOptions): LineParser {
  const occurrences = new Occurrences();
  const prefix = options.userPrefix ?? "";
  let first = true;
  return {
    describe: () => "jsonl",
    parse(raw) {
      let text = stripLineEnd(raw);
      if (first) {
        text = text.replace(/^\uFEFF/, "");
        first = false;
      }
      text = text.trim();
      if (text === "") return { kind: "skip" };
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        return {
          kind: "error",
          reason: "not valid JSON",
          detail: error instanceof Error ? error.message : String(error),
        };
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return {
          kind: "error",
          reason: "a line must be one event object { eventId, userId, type, occurredAt, … }",
          detail: Array.isArray(parsed) ? "found an array" : `found ${JSON.stringify(parsed)}`,
        };
      }
      const event: ReplayEvent = { ...(parsed as ReplayEvent) };
      let derivedId = false;
      if (event.eventId === undefined || event.eventId === null || event.eventId === "") {
        event.eventId = deriveEventId("jsonl", text, occurrences.next(text));
        derivedId = true;
      }
      if (prefix !== "" && typeof event.userId === "string") {
        event.userId = `${prefix}${event.userId}`;
      }
      return { kind: "event", event, derivedId };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// CSV

export type CsvFields = { ok: true; fields: string[] } | { ok: false; error: string };

/** One CSV record on one line (RFC 4180 quoting: `"a,b"`, `"say ""hi"""`). */
export function parseCsvLine(text: string): CsvFields {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = "";
      i += 1;
      for (;;) {
        if (i >= text.length) {
          return { ok: false, error: "a quoted field is not closed (fields cannot span lines)" };
        }
        const char = text[i] as string;
        if (char === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += char;
        i += 1;
      }
      fields.push(value);
      if (i < text.length && text[i] !== ",") {
        return { ok: false, error: `unexpected text after a quoted field at column ${i + 1}` };
      }
    } else {
      const end = text.indexOf(",", i);
      const value = end === -1 ? text.slice(i) : text.slice(i, end);
      if (value.includes('"')) {
        return { ok: false, error: `a quote inside an unquoted field at column ${i + 1}` };
      }
      fields.push(value);
      i = end === -1 ? text.length : end;
    }
    if (i >= text.length) return { ok: true, fields };
    i += 1; // the comma
    if (i === text.length) {
      fields.push("");
      return { ok: true, fields };
    }
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MONEY_TYPES = new Set(["purchase", "refund", "return"]);

interface ColumnTarget {
  readonly column: number;
  readonly name: string;
  readonly field: string;
}

function createCsvParser(options: ParserOptions): LineParser {
  const occurrences = new Occurrences();
  const prefix = options.userPrefix ?? "";
  let targets: ColumnTarget[] | undefined;
  let width = 0;

  function readHeader(text: string): void {
    const parsed = parseCsvLine(text.replace(/^\uFEFF/, ""));
    if (!parsed.ok) throw new UsageError(`churnwatch replay: the CSV header: ${parsed.error}`);
    const names = parsed.fields.map((name) => name.trim());
    width = names.length;
    const columnOf = (name: string): number => {
      const indexes = names.flatMap((candidate, index) => (candidate === name ? [index] : []));
      if (indexes.length === 0) {
        throw new UsageError(
          `churnwatch replay: --map names column "${name}", but the header has ${names
            .map((n) => `"${n}"`)
            .join(", ")}`,
        );
      }
      if (indexes.length > 1) {
        throw new UsageError(`churnwatch replay: column "${name}" appears twice in the header`);
      }
      return indexes[0] as number;
    };
    const mapped: ColumnTarget[] = Object.entries(options.map ?? {}).map(([name, field]) => ({
      column: columnOf(name),
      name,
      field,
    }));
    // Columns named like a field map to it unless --map already placed that field or column.
    names.forEach((name, column) => {
      if (!isCsvField(name)) return;
      if (mapped.some((target) => target.field === name || target.column === column)) return;
      if (names.indexOf(name) !== column) return;
      mapped.push({ column, name, field: name });
    });
    const has = (field: string) => mapped.some((target) => target.field === field);
    const missing = ["userId", "occurredAt"].filter((field) => !has(field));
    if (!has("type") && !options.type) missing.push("type (or --type)");
    if (missing.length > 0) {
      throw new UsageError(
        `churnwatch replay: no CSV column for ${missing.join(", ")}: map one with --map column=field (header: ${names.join(", ")})`,
      );
    }
    targets = mapped;
  }

  return {
    describe: () => "csv",
    parse(raw) {
      const text = stripLineEnd(raw);
      if (text.trim() === "") return { kind: "skip" };
      if (!targets) {
        readHeader(text);
        return { kind: "skip" };
      }
      const parsed = parseCsvLine(text);
      if (!parsed.ok) return { kind: "error", reason: "not a CSV record", detail: parsed.error };
      if (parsed.fields.length !== width) {
        return {
          kind: "error",
          reason: `expected ${width} fields like the header`,
          detail: `found ${parsed.fields.length}`,
        };
      }
      const event: ReplayEvent = {};
      const properties: Record<string, unknown> = {};
      const context: Record<string, unknown> = {};
      for (const target of targets) {
        const value = (parsed.fields[target.column] as string).trim();
        if (value === "") continue;
        const nested = NESTED_FIELD.exec(target.field);
        const spec = CSV_FIELDS[target.field];
        const at = nested ? (nested[1] as "properties" | "context") : (spec?.at ?? "top");
        const key = nested ? (nested[2] as string) : target.field;
        let converted: unknown = value;
        if (spec?.number) {
          const number = Number(value);
          if (!NUMBER.test(value) || !Number.isFinite(number)) {
            return {
              kind: "error",
              reason: `column "${target.name}" (${target.field}) is not a number`,
              detail: JSON.stringify(value),
            };
          }
          if (spec.number === "int" && !Number.isInteger(number)) {
            return {
              kind: "error",
              reason: `column "${target.name}" (${target.field}) is not a whole number`,
              detail: JSON.stringify(value),
            };
          }
          converted = number;
        } else if (target.field === "occurredAt") {
          const date = calendarDate(value);
          converted = date ? noonUtc(date) : value;
        } else if (target.field === "userId") {
          converted = `${prefix}${value}`;
        }
        if (at === "top") event[key] = converted;
        else if (at === "properties") properties[key] = converted;
        else context[key] = converted;
      }
      if (event.type === undefined && options.type) event.type = options.type;
      let derivedId = false;
      if (event.eventId === undefined) {
        event.eventId = deriveEventId("csv", text, occurrences.next(text));
        derivedId = true;
      }
      if (MONEY_TYPES.has(String(event.type))) {
        if (properties.currency === undefined && options.currency) {
          properties.currency = options.currency;
        }
        // A purchase is its own order when the file names none; refunds must name theirs.
        if (event.type === "purchase" && properties.orderId === undefined) {
          properties.orderId = event.eventId;
        }
      }
      if (Object.keys(properties).length > 0) event.properties = properties;
      if (Object.keys(context).length > 0) event.context = context;
      return { kind: "event", event, derivedId };
    },
  };
}

export function createLineParser(options: ParserOptions): LineParser {
  switch (options.format) {
    case "cdnow":
      return createCdnowParser(options);
    case "jsonl":
      return createJsonlParser(options);
    case "csv":
      return createCsvParser(options);
  }
}

/** `--map a=userId,b=occurredAt` (the flag may repeat) → column → field; UsageError if bad. */
export function parseColumnMap(entries: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  const fields = new Set<string>();
  for (const pair of entries.flatMap((entry) => entry.split(","))) {
    const trimmed = pair.trim();
    if (trimmed === "") continue;
    const at = trimmed.lastIndexOf("=");
    const column = at === -1 ? "" : trimmed.slice(0, at).trim();
    const field = at === -1 ? "" : trimmed.slice(at + 1).trim();
    if (column === "" || field === "") {
      throw new UsageError(
        `churnwatch replay: --map takes column=field pairs such as user_id=userId, got "${trimmed}"`,
      );
    }
    if (!isCsvField(field)) {
      throw new UsageError(
        `churnwatch replay: --map: unknown event field "${field}" (fields: ${Object.keys(
          CSV_FIELDS,
        ).join(", ")}, properties.<name>, context.<name>)`,
      );
    }
    if (Object.hasOwn(map, column)) {
      throw new UsageError(`churnwatch replay: --map names column "${column}" twice`);
    }
    if (fields.has(field)) {
      throw new UsageError(`churnwatch replay: --map maps two columns to "${field}"`);
    }
    map[column] = field;
    fields.add(field);
  }
  return map;
}
