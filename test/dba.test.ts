import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeDba, deserializeMatrix, overlayDba, serializeMatrix } from '../src/search/dba.js';
import { augmentDatabase } from '../src/search/expansion.js';
import { seededRandom } from '../src/random.js';
import type { CodeMatrix } from '../src/store/catalogue.js';

function matrix(n: number, dim: number, seed: number): CodeMatrix {
  const rand = seededRandom(seed);
  const data = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (data[r * dim + j] = rand() - 0.5) ** 2;
    for (let j = 0; j < dim; j++) data[r * dim + j]! /= Math.sqrt(s);
  }
  return { ids: Int32Array.from({ length: n }, (_, i) => 1000 + i), dim, data };
}

test('DBA over the SIMD batch scan equals the brute-force reference (large matrix)', () => {
  const m = matrix(2600, 16, 3);
  const policy = { k: 4, alpha: 2 };
  const fast = computeDba(m, policy);
  const reference = augmentDatabase(m, policy);
  let worst = 0;
  for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(fast.data[i]! - reference[i]!));
  assert.ok(worst < 1e-4, `max difference ${worst}`);
  // Two passes differ from one: the second finds neighbours among augmented codes.
  const twice = computeDba(m, { ...policy, passes: 2 });
  assert.notDeepEqual(Array.from(twice.data.subarray(0, 16)), Array.from(fast.data.subarray(0, 16)));
});

test('a stale DBA blob overlays only the rows it knows, and round-trips', () => {
  const m = matrix(10, 8, 5);
  const dba = computeDba({ ids: m.ids.slice(0, 6), dim: 8, data: m.data.slice(0, 48) }, { k: 2, alpha: 1 });
  const back = deserializeMatrix(serializeMatrix(dba));
  assert.deepEqual(Array.from(back.ids), Array.from(dba.ids));
  assert.deepEqual(Array.from(back.data), Array.from(dba.data));
  const overlaid = overlayDba(m, back);
  assert.deepEqual(Array.from(overlaid.data.subarray(0, 48)), Array.from(dba.data));
  assert.deepEqual(Array.from(overlaid.data.subarray(48)), Array.from(m.data.subarray(48)));
});
