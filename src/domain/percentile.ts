/**
 * PostgreSQL's percentile_cont over a histogram of exact values (value, count), sorted by value:
 * the same interpolation between the two neighbouring ranks, so a percentile taken from a rollup
 * equals the one taken over the rows. Null when the histogram is empty.
 */
export function percentileCont(histogram: readonly { value: number; count: number }[], fraction: number): number | null {
  const total = histogram.reduce((n, h) => n + h.count, 0);
  if (total === 0) return null;
  const position = fraction * (total - 1);
  const lowRank = Math.floor(position);
  const highRank = Math.ceil(position);
  const low = valueAt(histogram, lowRank);
  if (lowRank === highRank) return low;
  const high = valueAt(histogram, highRank);
  return low + (high - low) * (position - lowRank);
}

function valueAt(histogram: readonly { value: number; count: number }[], rank: number): number {
  let seen = 0;
  for (const h of histogram) {
    seen += h.count;
    if (rank < seen) return h.value;
  }
  return histogram[histogram.length - 1]!.value;
}
