/**
 * Area under the ROC curve: the chance that a random positive scores above a random negative,
 * ties counted as half (the Mann–Whitney U statistic with mid-ranks), so a score that gives
 * many users the same value is not flattered by the order they happen to be in.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<boolean | 0 | 1>): number {
  const n = scores.length;
  if (labels.length !== n) throw new RangeError(`auc: ${n} scores but ${labels.length} labels`);
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (scores[a] as number) - (scores[b] as number),
  );
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    const value = scores[order[start] as number] as number;
    while (end < n && scores[order[end] as number] === value) end += 1;
    // Ranks start..end-1 (1-based start+1..end) share their mean rank.
    const midRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k += 1) {
      if (labels[order[k] as number]) {
        positives += 1;
        positiveRankSum += midRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
