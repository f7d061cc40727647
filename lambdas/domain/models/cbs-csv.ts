/**
 * Reads customer-by-sufficient-statistic CSV text as BTYD, lifetimes and `churnwatch export`
 * write it. Column names are matched case-insensitively with their usual spellings:
 *   customer: cust | id | customer_id      x: x | frequency
 *   t_x: t.x | t_x | recency               T: T.cal | T | age
 *   holdout purchases (optional): x.star | x_star
 *   mean repeat-purchase value (optional): zbar | monetary_value
 * Plain comma-separated fields; a field in double quotes may contain commas.
 */

export interface CbsCsvRow {
  readonly cust: string;
  readonly x: number;
  readonly tx: number;
  readonly T: number;
  readonly xStar?: number;
  readonly zbar?: number;
}

const COLUMNS = {
  cust: ["cust", "id", "customer_id"],
  x: ["x", "frequency"],
  tx: ["t.x", "t_x", "recency"],
  T: ["t.cal", "t", "age"],
  xStar: ["x.star", "x_star"],
  zbar: ["zbar", "monetary_value"],
} as const;

function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ",") {
      fields.push(field);
      field = "";
    } else {
      field += ch;
    }
  }
  fields.push(field);
  return fields;
}

/** Parses the text; throws an Error naming the line and column of the first bad value. */
export function parseCbsCsv(text: string): CbsCsvRow[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const header = lines[0];
  if (header === undefined) throw new Error("CBS CSV: empty input");
  const names = splitCsvLine(header).map((name) => name.trim().replace(/^"|"$/g, "").toLowerCase());
  const find = (candidates: readonly string[]) => {
    for (const candidate of candidates) {
      const at = names.indexOf(candidate);
      if (at >= 0) return at;
    }
    return -1;
  };
  const at = {
    cust: find(COLUMNS.cust),
    x: find(COLUMNS.x),
    tx: find(COLUMNS.tx),
    T: find(COLUMNS.T),
    xStar: find(COLUMNS.xStar),
    zbar: find(COLUMNS.zbar),
  };
  for (const key of ["x", "tx", "T"] as const) {
    if (at[key] < 0) {
      throw new Error(`CBS CSV: no ${COLUMNS[key].join(" / ")} column in header "${header}"`);
    }
  }
  return lines.slice(1).map((line, index) => {
    const fields = splitCsvLine(line);
    const number = (key: keyof typeof at): number => {
      const raw = fields[at[key]]?.trim() ?? "";
      const value = Number(raw);
      if (raw === "" || !Number.isFinite(value)) {
        throw new Error(`CBS CSV line ${index + 2}: ${key} = "${raw}" is not a number`);
      }
      return value;
    };
    return {
      cust: at.cust >= 0 ? (fields[at.cust]?.trim() ?? "") : String(index + 1),
      x: number("x"),
      tx: number("tx"),
      T: number("T"),
      ...(at.xStar >= 0 ? { xStar: number("xStar") } : {}),
      ...(at.zbar >= 0 ? { zbar: number("zbar") } : {}),
    };
  });
}
