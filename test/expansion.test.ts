import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentDatabase, expandQuery, nearestRows, weightedExpansion } from '../src/search/expansion.js';
import { isSimiliError } from '../src/errors.js';

function unit(...v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

// Two tight clusters around the x and y axes, plus one outlier between them.
const ROWS = [unit(1, 0.1, 0), unit(1, -0.1, 0), unit(1, 0, 0.1), unit(0.1, 1, 0), unit(-0.1, 1, 0), unit(0.7, 0.7, 0.1)];
const M = { data: Float32Array.from(ROWS.flat()), dim: 3 };

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

test('nearestRows: best first, exclusions honoured', () => {
  const top = nearestRows(M, Float32Array.from(unit(1, 0, 0)), 3);
  assert.deepEqual(top.map((s) => s.row).sort(), [0, 1, 2]);
  assert.ok(top[0]!.score >= top[1]!.score && top[1]!.score >= top[2]!.score);
  const excluded = nearestRows(M, Float32Array.from(ROWS[0]!), 2, new Set([0]));
  assert.ok(!excluded.some((s) => s.row === 0));
});

test('alpha-QE moves the query towards its cluster and stays unit length', () => {
  const q = Float32Array.from(unit(0.9, 0.3, 0));
  const e = expandQuery(M, q, { k: 3, alpha: 3 });
  assert.ok(Math.abs(norm(e) - 1) < 1e-6);
  // The expanded query is closer to the x-cluster centre than the original.
  assert.ok(e[0]! / Math.hypot(e[0]!, e[1]!) > q[0]! / Math.hypot(q[0]!, q[1]!));
  // The input is not modified.
  assert.deepEqual(Array.from(q), Array.from(Float32Array.from(unit(0.9, 0.3, 0))));
});

test('alpha weights: alpha 0 is a plain average, large alpha ignores weak neighbours', () => {
  const base = new Float32Array([0, 0, 1]);
  const neighbours = [{ row: 0, score: 0.9 }, { row: 3, score: 0.1 }];
  const avg = weightedExpansion(M, base, neighbours, { k: 2, alpha: 0 });
  const sharp = weightedExpansion(M, base, neighbours, { k: 2, alpha: 50 });
  assert.ok(avg[1]! > 0.3, 'row 3 (y axis) counts with alpha 0');
  assert.ok(Math.abs(sharp[1]!) < 0.1, 'row 3 is negligible with a large alpha');
  // Negative similarities never push the query away.
  const neg = weightedExpansion(M, base, [{ row: 0, score: -0.5 }], { k: 1, alpha: 1 });
  assert.deepEqual(Array.from(neg), [0, 0, 1]);
});

test('DBA: every row is pulled towards its neighbours; the outlier joins one side less', () => {
  const out = augmentDatabase(M, { k: 2, alpha: 3 });
  assert.equal(out.length, M.data.length);
  for (let r = 0; r < ROWS.length; r++) assert.ok(Math.abs(norm(out.subarray(r * 3, r * 3 + 3)) - 1) < 1e-6);
  // Members of a cluster become more similar to each other.
  const dot = (a: ArrayLike<number>, ai: number, bi: number): number => a[ai * 3]! * a[bi * 3]! + a[ai * 3 + 1]! * a[bi * 3 + 1]! + a[ai * 3 + 2]! * a[bi * 3 + 2]!;
  assert.ok(dot(out, 0, 1) > dot(M.data, 0, 1));
  assert.ok(dot(out, 3, 4) > dot(M.data, 3, 4));
  // A neighbour function (e.g. ANN) may be supplied and may return the row itself.
  const viaCallback = augmentDatabase(M, { k: 2, alpha: 3 }, (row, k) => nearestRows(M, M.data.subarray(row * 3, row * 3 + 3), k));
  assert.deepEqual(Array.from(viaCallback), Array.from(out));
});

test('policies and shapes are validated', () => {
  const bad = (f: () => unknown): void => assert.throws(f, (e: unknown) => isSimiliError(e) && e.code === 'INVALID_PARAMETER');
  bad(() => expandQuery(M, new Float32Array(3), { k: 0, alpha: 3 }));
  bad(() => expandQuery(M, new Float32Array(3), { k: 2, alpha: -1 }));
  bad(() => augmentDatabase({ data: new Float32Array(5), dim: 3 }, { k: 1, alpha: 1 }));
  bad(() => weightedExpansion(M, new Float32Array(2), [], { k: 1, alpha: 1 }));
});
