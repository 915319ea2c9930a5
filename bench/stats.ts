/** Summary statistics shared by the bench modules (no default export: bench/run.ts skips it). */

/** Nearest-rank percentile (p in [0, 1]) of ascending values; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}
