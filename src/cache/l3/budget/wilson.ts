/**
 * The Wilson score interval's upper end for a proportion: with k wrong out of
 * n audited, the rate is at most this with the given confidence (one-sided;
 * z = 1.645 for 95%). Unlike k/n it is honest about small n: 0 of 10 gives
 * 0.21, not 0; 0 of 150 gives 0.018. n = 0 says nothing: 1.
 */
export const Z_95_ONE_SIDED = 1.6448536269514722;

export function wilsonUpper(k: number, n: number, z = Z_95_ONE_SIDED): number {
  if (n <= 0) return 1;
  const p = k / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.min(1, (centre + spread) / (1 + z2 / n));
}
