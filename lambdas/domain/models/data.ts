/**
 * Customer-by-sufficient-statistic (CBS) data for the purchase models: per customer the number
 * of repeat purchases x, the recency t_x (time of the last purchase, from the first) and the age
 * T (length of observation, from the first purchase), all in one time unit (weeks for CDNOW).
 * For speed the likelihood sees identical (x, t_x, T) rows once, with a weight.
 */

export interface Customer {
  /** Repeat purchases in (0, T]: the first purchase is time 0 and is not counted. */
  readonly x: number;
  /** Recency: time of the last purchase (0 when x = 0). */
  readonly tx: number;
  /** Age: time from the first purchase to the end of the observation. */
  readonly T: number;
}

export interface CbsData {
  /** Number of customers (the sum of the weights). */
  readonly customers: number;
  /** Distinct (x, t_x, T) rows, with how many customers have each. */
  readonly x: Float64Array;
  readonly tx: Float64Array;
  readonly T: Float64Array;
  readonly weight: Float64Array;
  /** The distinct values of x, and for each row the index of its x there (per-x terms). */
  readonly xLevels: Float64Array;
  readonly xLevel: Int32Array;
}

/** Why a customer row cannot be used, or undefined when it can. */
export function customerProblem(customer: Customer): string | undefined {
  const { x, tx, T } = customer;
  if (!Number.isFinite(x) || !Number.isFinite(tx) || !Number.isFinite(T)) {
    return "x, t_x and T must be finite numbers";
  }
  if (x < 0) return `x = ${x} is negative`;
  if (tx < 0) return `t_x = ${tx} is negative`;
  if (T < tx) return `T = ${T} is before t_x = ${tx}`;
  if (x === 0 && tx !== 0) return `t_x = ${tx} must be 0 when x = 0`;
  return undefined;
}

/**
 * Validates and aggregates customers. Throws a RangeError naming the first bad row (its index
 * in the input): data that cannot be right is a caller's bug, not a fit that failed to converge.
 */
export function cbsData(customers: Iterable<Customer>): CbsData {
  const index = new Map<string, number>();
  const x: number[] = [];
  const tx: number[] = [];
  const T: number[] = [];
  const weight: number[] = [];
  let row = 0;
  for (const customer of customers) {
    const problem = customerProblem(customer);
    if (problem) throw new RangeError(`customer row ${row}: ${problem}`);
    row += 1;
    const key = `${customer.x},${customer.tx},${customer.T}`;
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, x.length);
      x.push(customer.x);
      tx.push(customer.tx);
      T.push(customer.T);
      weight.push(1);
    } else {
      weight[at] = (weight[at] as number) + 1;
    }
  }
  const levels = [...new Set(x)].sort((p, q) => p - q);
  const levelOf = new Map(levels.map((value, i) => [value, i]));
  return {
    customers: row,
    x: Float64Array.from(x),
    tx: Float64Array.from(tx),
    T: Float64Array.from(T),
    weight: Float64Array.from(weight),
    xLevels: Float64Array.from(levels),
    xLevel: Int32Array.from(x, (value) => levelOf.get(value) as number),
  };
}
