/**
 * Second look at ANN candidates with the full float codes: the graph may store f16, i8 or
 * bits, and its order is approximate; the final scores and order are always exact cosine.
 */
import type { AnnQuantisation } from './ann.js';
import { dot } from './exact.js';

export interface IdScore {
  id: number;
  score: number;
}

/**
 * How many candidates the ANN should return for a final top k. A bit graph orders too coarsely
 * for 100 to hold the top 10 (bench/ann.ts at 1M: recall@10 0.38 from 100, 0.92 from 1,000), so
 * it hands over ten times more.
 */
export function candidateCount(k: number, excluded = 0, quantisation?: AnnQuantisation): number {
  return Math.max(k * 4, 100) * (quantisation === 'b1' ? 10 : 1) + excluded;
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
