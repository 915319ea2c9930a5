/**
 * Exact nearest neighbours by cosine similarity (codes are L2-normalised, so cosine = dot).
 * The full scan uses usearch's SIMD exact search; a candidate subset (category gate,
 * re-ranking) is small and scanned in plain JS.
 */
import usearch from 'usearch';
import type { CodeMatrix } from '../store/catalogue.js';
import { TopK, type Scored } from './topk.js';

export interface ExactOptions {
  /** Rows never returned (e.g. the query itself in leave-one-out). */
  excludeRows?: ReadonlySet<number>;
  /** Scan only these rows. */
  rows?: ArrayLike<number>;
  /** Threads for the full scan; 0 = all cores. */
  threads?: number;
}

export function dot(a: Float32Array, aOffset: number, b: Float32Array, dim: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let j = 0;
  for (; j + 4 <= dim; j += 4) {
    s0 += a[aOffset + j]! * b[j]!;
    s1 += a[aOffset + j + 1]! * b[j + 1]!;
    s2 += a[aOffset + j + 2]! * b[j + 2]!;
    s3 += a[aOffset + j + 3]! * b[j + 3]!;
  }
  for (; j < dim; j++) s0 += a[aOffset + j]! * b[j]!;
  return s0 + s1 + s2 + s3;
}

/** Plain JS scan: the reference the SIMD path is tested against, and the path for subsets. */
export function scanTopK(matrix: CodeMatrix, query: Float32Array, k: number, options: ExactOptions = {}): Scored[] {
  const { dim, data } = matrix;
  const n = matrix.ids.length;
  const top = new TopK(Math.min(k, n));
  const exclude = options.excludeRows;
  const visit = (row: number): void => {
    if (exclude?.has(row)) return;
    top.push(row, dot(data, row * dim, query, dim));
  };
  if (options.rows) for (let i = 0; i < options.rows.length; i++) visit(options.rows[i]!);
  else for (let row = 0; row < n; row++) visit(row);
  return top.result();
}

/**
 * Large subsets (a category gate on a big collection keeps thousands of rows): copying them
 * into one scratch block and scanning that with SIMD is several times faster than plain JS
 * per row. The scratch block is reused across queries (it only grows).
 */
const GATHER_MIN_ROWS = 2048;
let scratch = new Float32Array(0);

function gatheredTopK(matrix: CodeMatrix, query: Float32Array, k: number, rows: ArrayLike<number>, options: ExactOptions): Scored[] {
  const { dim, data } = matrix;
  const kept: number[] = [];
  for (let i = 0; i < rows.length; i++) if (!options.excludeRows?.has(rows[i]!)) kept.push(rows[i]!);
  if (kept.length === 0) return [];
  if (scratch.length < kept.length * dim) scratch = new Float32Array(Math.ceil(kept.length * 1.25) * dim);
  for (let i = 0; i < kept.length; i++) scratch.set(data.subarray(kept[i]! * dim, (kept[i]! + 1) * dim), i * dim);
  // A subarray at offset 0 is safe for usearch (it ignores byteOffset, not length).
  const block = scratch.subarray(0, kept.length * dim);
  const q = query.byteOffset === 0 && query.byteLength === query.buffer.byteLength ? query : query.slice();
  const res = usearch.exactSearch(block, q, dim, Math.min(k, kept.length), usearch.MetricKind.IP, options.threads ?? 0);
  const out: Scored[] = [];
  for (let i = 0; i < res.keys.length; i++) out.push({ row: kept[Number(res.keys[i])]!, score: 1 - (res.distances[i] as number) });
  return out.sort((a, b) => b.score - a.score || a.row - b.row);
}

export function exactTopK(matrix: CodeMatrix, query: Float32Array, k: number, options: ExactOptions = {}): Scored[] {
  const n = matrix.ids.length;
  if (n === 0 || k <= 0) return [];
  if (query.length !== matrix.dim) throw new RangeError(`query has ${query.length} dimensions, collection ${matrix.dim}`);
  if (options.rows && options.rows.length >= GATHER_MIN_ROWS) return gatheredTopK(matrix, query, k, options.rows, options);
  // Small scans and subsets: the native call's fixed cost is not worth it.
  if (options.rows || n < 2048) return scanTopK(matrix, query, k, options);
  const excluded = options.excludeRows?.size ?? 0;
  const want = Math.min(n, k + excluded);
  // usearch's exactSearch reads typed arrays from the start of their ArrayBuffer, ignoring
  // byteOffset: a subarray (e.g. a row of the matrix as the query) must be copied first.
  const tight = (a: Float32Array): Float32Array => (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice());
  const res = usearch.exactSearch(tight(matrix.data), tight(query), matrix.dim, want, usearch.MetricKind.IP, options.threads ?? 0);
  const out: Scored[] = [];
  for (let i = 0; i < res.keys.length && out.length < k; i++) {
    const row = Number(res.keys[i]);
    if (options.excludeRows?.has(row)) continue;
    // usearch's inner-product "distance" is 1 - dot.
    out.push({ row, score: 1 - (res.distances[i] as number) });
  }
  // Keep the same tie order as the reference scan.
  return out.sort((a, b) => b.score - a.score || a.row - b.row);
}
