/**
 * Database-side augmentation (DBA) for a collection: every stored code is replaced by a
 * weighted mean of itself and its nearest neighbours (see expansion.ts), computed after an
 * index run and kept as one blob. Images added since then keep their plain code until the
 * next run recomputes it, so a stale blob degrades gracefully instead of being wrong.
 */
import usearch from 'usearch';
import type { DbaPolicy } from '../encode/recipe.js';
import type { CodeMatrix } from '../store/catalogue.js';
import { augmentDatabase } from './expansion.js';
import { scanTopK } from './exact.js';
import type { Scored } from './topk.js';

export const DBA_BLOB = 'dba';

/**
 * Above this many images DBA is skipped: finding every image's neighbours is an N x N scan
 * (minutes at 50k on two cores, as long as encoding them), and search switches to the ANN
 * index at the same size anyway.
 */
export const DBA_MAX_IMAGES = 50_000;

/** The augmentation is recomputed once the collection has grown or shrunk by this fraction. */
export const DBA_REFRESH_FRACTION = 0.1;

/** Every row's k nearest other rows: SIMD batch scans for large matrices, plain JS below. */
function allNeighbours(matrix: CodeMatrix, k: number): (row: number) => Scored[] {
  const n = matrix.ids.length;
  if (n < 2048) return (row) => scanTopK(matrix, matrix.data.subarray(row * matrix.dim, (row + 1) * matrix.dim), k + 1, { excludeRows: new Set([row]) });
  const found: Scored[][] = [];
  const chunk = 4096;
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    // A copy, not a subarray: usearch reads a typed array from the start of its buffer.
    const queries = matrix.data.slice(start * matrix.dim, end * matrix.dim);
    const res = usearch.exactSearch(matrix.data, queries, matrix.dim, k + 1, usearch.MetricKind.IP, 0);
    const per = k + 1;
    for (let q = 0; q < end - start; q++) {
      const list: Scored[] = [];
      for (let j = 0; j < per; j++) {
        const row = Number(res.keys[q * per + j]);
        if (row !== start + q) list.push({ row, score: 1 - (res.distances[q * per + j] as number) });
      }
      found.push(list);
    }
  }
  return (row) => found[row]!;
}

export function computeDba(matrix: CodeMatrix, policy: DbaPolicy): CodeMatrix {
  let current = matrix;
  for (let pass = 0; pass < (policy.passes ?? 1); pass++) {
    const neighbours = allNeighbours(current, policy.k);
    current = { ids: matrix.ids, dim: matrix.dim, data: augmentDatabase(current, policy, (row) => neighbours(row)) };
  }
  return current;
}

/** Plain codes with each row replaced by its augmented version where one is known. */
export function overlayDba(plain: CodeMatrix, dba: CodeMatrix | null): CodeMatrix {
  if (!dba || dba.dim !== plain.dim) return plain;
  const dbaRow = new Map<number, number>();
  dba.ids.forEach((id, row) => dbaRow.set(id, row));
  const data = new Float32Array(plain.data);
  plain.ids.forEach((id, row) => {
    const r = dbaRow.get(id);
    if (r !== undefined) data.set(dba.data.subarray(r * dba.dim, (r + 1) * dba.dim), row * plain.dim);
  });
  return { ids: plain.ids, dim: plain.dim, data };
}

export function serializeMatrix(m: CodeMatrix): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(m.ids.length, 0);
  header.writeUInt32LE(m.dim, 4);
  return Buffer.concat([header, Buffer.from(m.ids.buffer, m.ids.byteOffset, m.ids.byteLength), Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength)]);
}

/** Rows in a serialised matrix, without decoding it. */
export function storedMatrixRows(buf: Buffer): number {
  return buf.readUInt32LE(0);
}

export function deserializeMatrix(buf: Buffer): CodeMatrix {
  const n = buf.readUInt32LE(0);
  const dim = buf.readUInt32LE(4);
  // Copies: a SQLite buffer need not be aligned for typed-array views.
  const ids = new Int32Array(n);
  new Uint8Array(ids.buffer).set(buf.subarray(8, 8 + n * 4));
  const data = new Float32Array(n * dim);
  new Uint8Array(data.buffer).set(buf.subarray(8 + n * 4, 8 + n * 4 + n * dim * 4));
  return { ids, dim, data };
}
