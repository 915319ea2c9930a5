/**
 * Query-side and database-side expansion over L2-normalised codes (cosine = dot):
 *
 * - alpha-QE (Radenović et al. 2018): the query is replaced by the L2-normalised sum of
 *   itself and its top k neighbours, each weighted by max(similarity, 0)^alpha, then the
 *   search runs again. Neighbours that are nearly as similar as the query dominate; a
 *   large alpha keeps weak neighbours from dragging the query towards another class.
 * - DBA (database-side augmentation, Arandjelović & Zisserman 2012; alpha-weighted as
 *   Radenović): every code is replaced the same way by the weighted sum of its own top k
 *   neighbours, itself included with weight 1. It is done once at index time, so search
 *   pays nothing; it is a property of the collection's codes, refitted with them.
 *
 * Pure functions: inputs are never modified; results are new arrays.
 */
import type { ExpansionPolicy } from '../encode/recipe.js';
import { invalidParameter } from '../errors.js';
import { integerInRange, numberInRange } from '../validate.js';
import type { Scored } from './topk.js';
import { TopK } from './topk.js';

export type { ExpansionPolicy };

/** Row-major n x dim matrix of L2-normalised codes. */
export interface NormalisedRows {
  data: Float32Array;
  dim: number;
}

export function checkExpansionPolicy(name: string, policy: unknown): ExpansionPolicy {
  if (typeof policy !== 'object' || policy === null) throw invalidParameter(name, 'an object { k, alpha }', policy);
  const p = policy as Partial<ExpansionPolicy>;
  return {
    k: integerInRange(`${name}.k`, p.k, 1, 1000),
    alpha: numberInRange(`${name}.alpha`, p.alpha, 0, 100),
  };
}

function rowCount(m: NormalisedRows): number {
  if (!Number.isInteger(m.dim) || m.dim < 1 || m.data.length % m.dim !== 0) {
    throw invalidParameter('matrix', 'a Float32Array whose length is a multiple of dim', m.data.length);
  }
  return m.data.length / m.dim;
}

function dotRow(data: Float32Array, offset: number, v: Float32Array, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += data[offset + j]! * v[j]!;
  return s;
}

function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i]! *= inv;
  }
  return v;
}

/**
 * `base` plus the weighted rows of `neighbours`, L2-normalised. Neighbours are taken
 * best first and only the first k count; negative similarities get weight 0.
 */
export function weightedExpansion(matrix: NormalisedRows, base: Float32Array, neighbours: readonly Scored[], policy: ExpansionPolicy): Float32Array {
  const { dim, data } = matrix;
  if (base.length !== dim) throw invalidParameter('query', `a vector of ${dim} values`, base.length);
  const out = Float32Array.from(base);
  const used = Math.min(policy.k, neighbours.length);
  for (let i = 0; i < used; i++) {
    const { row, score } = neighbours[i]!;
    const weight = score > 0 ? Math.pow(score, policy.alpha) : 0;
    if (weight === 0) continue;
    const offset = row * dim;
    for (let j = 0; j < dim; j++) out[j]! += weight * data[offset + j]!;
  }
  return normalise(out);
}

/** Top k rows by dot product with `query`, best first, skipping rows in `exclude`. */
export function nearestRows(matrix: NormalisedRows, query: Float32Array, k: number, exclude?: ReadonlySet<number>): Scored[] {
  const n = rowCount(matrix);
  const top = new TopK(Math.min(k, n));
  for (let row = 0; row < n; row++) {
    if (exclude?.has(row)) continue;
    top.push(row, dotRow(matrix.data, row * matrix.dim, query, matrix.dim));
  }
  return top.result();
}

/**
 * alpha-QE for one query: its top k neighbours in `matrix` (rows in `exclude` skipped,
 * e.g. the query's own row in leave-one-out) are folded into it. Search again with the result.
 */
export function expandQuery(matrix: NormalisedRows, query: Float32Array, policy: ExpansionPolicy, exclude?: ReadonlySet<number>): Float32Array {
  const p = checkExpansionPolicy('queryExpansion', policy);
  return weightedExpansion(matrix, query, nearestRows(matrix, query, p.k, exclude), p);
}

/**
 * DBA over the whole matrix: a new matrix where row i is row i plus its top k other rows,
 * weighted. O(n^2 dim) by brute force; `neighbours` may supply an ANN or SIMD search instead
 * (it must return rows best first and may include row i itself, which is skipped).
 */
export function augmentDatabase(
  matrix: NormalisedRows,
  policy: ExpansionPolicy,
  neighbours?: (row: number, k: number) => Scored[],
): Float32Array {
  const p = checkExpansionPolicy('databaseAugmentation', policy);
  const n = rowCount(matrix);
  const { dim, data } = matrix;
  const out = new Float32Array(n * dim);
  for (let row = 0; row < n; row++) {
    const self = data.subarray(row * dim, (row + 1) * dim);
    const found = neighbours
      ? neighbours(row, p.k + 1).filter((s) => s.row !== row)
      : nearestRows(matrix, self, p.k, new Set([row]));
    out.set(weightedExpansion(matrix, self, found, p), row * dim);
  }
  return out;
}

/**
 * A full ranking with alpha-QE, for evaluation (src/eval's Ranker shape): expand the query
 * with its top k (the excluded row never counts), then rank every row by the expanded query.
 */
export function queryExpansionRanker(
  matrix: NormalisedRows,
  policy: ExpansionPolicy,
): (code: Float32Array, excludeRow: number | null) => number[] {
  const p = checkExpansionPolicy('queryExpansion', policy);
  const n = rowCount(matrix);
  const scores = new Float64Array(n);
  return (code, excludeRow) => {
    const exclude = excludeRow === null ? undefined : new Set([excludeRow]);
    const expanded = weightedExpansion(matrix, code, nearestRows(matrix, code, p.k, exclude), p);
    const rows: number[] = [];
    for (let r = 0; r < n; r++) {
      if (r === excludeRow) continue;
      scores[r] = dotRow(matrix.data, r * matrix.dim, expanded, matrix.dim);
      rows.push(r);
    }
    return rows.sort((a, b) => scores[b]! - scores[a]! || a - b);
  };
}
