/**
 * Sorting scores into groups of equal value. Deciles, quintiles and thresholds are all decided
 * per group, never per position, so users with the same score always land together and the
 * result cannot depend on the order the rows arrived in.
 */

export interface RankGroup {
  /** Positions start..end-1 of `order` hold this group. */
  readonly start: number;
  readonly end: number;
  readonly value: number;
}

export interface RankedGroups {
  /** Row indices, best rank first. */
  readonly order: readonly number[];
  readonly groups: readonly RankGroup[];
}

/** Infinity sorts fine with this; NaN would make any sort order meaningless, so it is refused. */
export function rankGroups(
  values: ArrayLike<number>,
  direction: "ascending" | "descending",
): RankedGroups {
  const n = values.length;
  for (let i = 0; i < n; i += 1) {
    if (Number.isNaN(values[i])) throw new RangeError(`value ${i} is NaN`);
  }
  const sign = direction === "ascending" ? 1 : -1;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const x = values[a] as number;
    const y = values[b] as number;
    return x < y ? -sign : x > y ? sign : 0;
  });
  const groups: RankGroup[] = [];
  for (let start = 0; start < n; ) {
    const value = values[order[start] as number] as number;
    let end = start + 1;
    while (end < n && values[order[end] as number] === value) end += 1;
    groups.push({ start, end, value });
    start = end;
  }
  return { order, groups };
}

/**
 * The 1-based bucket (of `buckets` equal shares of [0, n)) holding the centre of a group that
 * spans [start, end). A tie group is never split; it goes whole to the bucket where its centre
 * falls, the order-independent choice closest to equal-sized buckets. A centre exactly on a
 * boundary goes to the later bucket.
 */
export function bucketOfGroup(group: RankGroup, n: number, buckets: number): number {
  const centre = (group.start + group.end) / 2;
  return Math.min(buckets, Math.floor((centre * buckets) / n) + 1);
}
