import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exactTopK, scanTopK } from '../src/search/exact.js';
import { TopK } from '../src/search/topk.js';
import type { CodeMatrix } from '../src/store/catalogue.js';
import { seededRandom } from '../src/random.js';

function randomMatrix(n: number, dim: number, seed: number): CodeMatrix {
  const rand = seededRandom(seed);
  const data = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = rand() - 0.5;
      data[r * dim + j] = v;
      norm += v * v;
    }
    for (let j = 0; j < dim; j++) data[r * dim + j]! /= Math.sqrt(norm);
  }
  return { ids: Int32Array.from({ length: n }, (_, i) => i + 1), dim, data };
}

/** The reference: score everything, sort everything. */
function bruteForce(m: CodeMatrix, q: Float32Array, k: number, exclude: Set<number> = new Set()): Array<{ row: number; score: number }> {
  const all = [];
  for (let r = 0; r < m.ids.length; r++) {
    if (exclude.has(r)) continue;
    let s = 0;
    for (let j = 0; j < m.dim; j++) s += m.data[r * m.dim + j]! * q[j]!;
    all.push({ row: r, score: s });
  }
  return all.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, k);
}

test('TopK keeps the k best, best first, ties by row', () => {
  const top = new TopK(3);
  for (const [row, score] of [[0, 0.1], [1, 0.9], [2, 0.5], [3, 0.9], [4, 0.3], [5, 0.95]] as const) top.push(row, score);
  assert.deepEqual(top.result(), [{ row: 5, score: 0.95 }, { row: 1, score: 0.9 }, { row: 3, score: 0.9 }]);
});

test('exact search equals a brute-force reference, small (JS scan) and large (SIMD scan)', () => {
  for (const [n, dim] of [[300, 64], [5000, 128]] as const) {
    const m = randomMatrix(n, dim, n);
    for (let qi = 0; qi < 5; qi++) {
      const q = m.data.slice(qi * 37 * dim, (qi * 37 + 1) * dim);
      const expected = bruteForce(m, q, 10);
      const got = exactTopK(m, q, 10);
      assert.deepEqual(got.map((g) => g.row), expected.map((e) => e.row), `n=${n} query ${qi}`);
      got.forEach((g, i) => assert.ok(Math.abs(g.score - expected[i]!.score) < 1e-4));
    }
  }
});

test('exact search honours excluded rows and candidate subsets', () => {
  const m = randomMatrix(4000, 32, 7);
  const q = m.data.slice(10 * 32, 11 * 32);
  const got = exactTopK(m, q, 5, { excludeRows: new Set([10]) });
  assert.ok(!got.some((g) => g.row === 10));
  assert.deepEqual(got.map((g) => g.row), bruteForce(m, q, 5, new Set([10])).map((e) => e.row));
  const subset = [3, 99, 10, 2500, 3999];
  const sub = scanTopK(m, q, 3, { rows: subset });
  assert.equal(sub[0]!.row, 10);
  assert.ok(sub.every((s) => subset.includes(s.row)));
});
