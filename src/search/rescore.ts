/**
 * Second look at ANN candidates with the full float codes: the graph may store f16, i8 or
 * bits, and its order is approximate; the final scores and order are always exact cosine.
 */
import { dot } from './exact.js';

export interface IdScore {
  id: number;
  score: number;
}

/** How many candidates the ANN should return for a final top k. */
export function candidateCount(k: number, excluded = 0): number {
  return Math.max(k * 4, 100) + excluded;
}

/**
 * Exact scores for `ids`, best first (ties: lower id first), at most `k`, skipping `exclude`.
 * `codes` returns the codes of the ids it knows, in any order; missing ones (removed since
 * the ANN was synced) are dropped.
 */
export async function rescore(
  query: Float32Array,
  ids: readonly number[],
  codes: (ids: readonly number[]) => Promise<Map<number, Float32Array>>,
  k: number,
  exclude?: ReadonlySet<number>,
): Promise<IdScore[]> {
  const wanted = exclude ? ids.filter((id) => !exclude.has(id)) : [...ids];
  const found = await codes(wanted);
  const scored: IdScore[] = [];
  for (const id of wanted) {
    const code = found.get(id);
    if (code && code.length === query.length) scored.push({ id, score: dot(code, 0, query, query.length) });
  }
  return scored.sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
}
