/**
 * Leave-one-out and outside-query evaluation over a collection's codes.
 * Ranking is pluggable so re-rankers and expansions are measured by the very code users run.
 */
import type { CodeMatrix } from '../store/catalogue.js';
import { dot } from '../search/exact.js';
import { aggregate, queryMetrics, type AggregateMetrics, type QueryMetrics } from './metrics.js';

/** Rows of the matrix, best first, for a query code; `excludeRow` is the query itself in leave-one-out. */
export type Ranker = (code: Float32Array, excludeRow: number | null) => Promise<number[]> | number[];

/** Full cosine ranking: codes are L2-normalised, so a dot product per row. */
export function cosineRanker(matrix: CodeMatrix): Ranker {
  const n = matrix.ids.length;
  const scores = new Float64Array(n);
  return (code, excludeRow) => {
    for (let r = 0; r < n; r++) scores[r] = dot(matrix.data, r * matrix.dim, code, matrix.dim);
    const rows: number[] = [];
    for (let r = 0; r < n; r++) if (r !== excludeRow) rows.push(r);
    return rows.sort((a, b) => scores[b]! - scores[a]! || a - b);
  };
}

export interface ClassMetrics extends AggregateMetrics {
  label: string;
}

export interface EvalReport {
  overall: AggregateMetrics;
  perClass: ClassMetrics[];
  /** Per query, for --json consumers. */
  queries: Array<{ label: string; row: number; top10: number[] } & QueryMetrics>;
}

function report(entries: Array<{ label: string; row: number; top10: number[] } & QueryMetrics>): EvalReport {
  const byClass = new Map<string, QueryMetrics[]>();
  for (const e of entries) {
    const list = byClass.get(e.label) ?? [];
    list.push(e);
    byClass.set(e.label, list);
  }
  const perClass = [...byClass.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, list]) => ({ label, ...aggregate(list) }));
  return { overall: aggregate(entries), perClass, queries: entries };
}

function countLabels(labels: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return counts;
}

/** Every labelled image is a query once against all the others. */
export async function leaveOneOut(matrix: CodeMatrix, labels: readonly string[], rank: Ranker = cosineRanker(matrix)): Promise<EvalReport> {
  const counts = countLabels(labels);
  const entries = [];
  for (let row = 0; row < matrix.ids.length; row++) {
    const code = matrix.data.subarray(row * matrix.dim, (row + 1) * matrix.dim);
    const ranked = await rank(code, row);
    const label = labels[row]!;
    const m = queryMetrics(label, ranked.map((r) => labels[r]!), counts.get(label)! - 1);
    entries.push({ label, row, top10: ranked.slice(0, 10), ...m });
  }
  return report(entries);
}

/** Outside images (not in the collection) against the whole collection. */
export async function outsideQueries(
  matrix: CodeMatrix,
  labels: readonly string[],
  queries: ReadonlyArray<{ code: Float32Array; label: string }>,
  rank: Ranker = cosineRanker(matrix),
): Promise<EvalReport> {
  const counts = countLabels(labels);
  const entries = [];
  for (const [i, q] of queries.entries()) {
    const ranked = await rank(q.code, null);
    const m = queryMetrics(q.label, ranked.map((r) => labels[r]!), counts.get(q.label) ?? 0);
    entries.push({ label: q.label, row: -1 - i, top10: ranked.slice(0, 10), ...m });
  }
  return report(entries);
}
