import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  hammingTopK, popcount32, packBits, unpackBits, hammingDistance, mergeTopK, wordsForBits, type HammingHit,
} from '../src/binary/hamming.js';
import { HammingPool, sharedCodes } from '../src/binary/hamming-pool.js';
import { isSimiliError } from '../src/errors.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

function naivePopcount(x: number): number {
  let c = 0;
  for (let b = 0; b < 32; b++) c += (x >>> b) & 1;
  return c;
}

function bruteForce(codes: Uint32Array, words: number, q: Uint32Array, k: number): HammingHit[] {
  const all: HammingHit[] = [];
  for (let i = 0; i < codes.length / words; i++) all.push({ index: i, distance: hammingDistance(codes, i * words, q, 0, words) });
  // Array.prototype.sort is stable: equal distances keep index order.
  all.sort((a, b) => a.distance - b.distance);
  return all.slice(0, k);
}

test('popcount32 on edge words', () => {
  const edges = [0, 1, 0x80000000, 0xffffffff, 0x7fffffff, 0x55555555, 0xaaaaaaaa, 0x0f0f0f0f, 0x00010000, 0xfffffffe];
  for (const x of edges) assert.equal(popcount32(x), naivePopcount(x), `word ${x.toString(16)}`);
  assert.equal(popcount32(-1), 32, 'a signed XOR result counts as its bit pattern');
  const next = rng(7);
  for (let i = 0; i < 10_000; i++) {
    const x = next();
    assert.equal(popcount32(x), naivePopcount(x));
  }
});

test('packBits / unpackBits round trip, bit j at word j>>5', () => {
  const bits = Array.from({ length: 64 }, (_, j) => (j % 3 === 0 ? 1 : 0));
  const words = packBits(bits);
  assert.equal(words.length, 2);
  assert.equal(words[0]! & 1, 1);
  assert.deepEqual(Array.from(unpackBits(words, 0, 64)), bits);
  assert.throws(() => packBits([1, 0, 1]), (e: unknown) => isSimiliError(e) && e.code === 'INVALID_PARAMETER');
  assert.throws(() => wordsForBits(48), /multiple of 32/);
});

for (const words of [8, 2, 16]) {
  test(`hammingTopK equals brute force (${words * 32} bits), ties stable by index`, () => {
    const next = rng(words);
    const n = 3000;
    const codes = new Uint32Array(n * words);
    // Few distinct bit patterns so that many distances tie.
    for (let i = 0; i < codes.length; i++) codes[i] = next() & 0x00000f0f;
    for (let i = 0; i < 50; i++) codes.copyWithin((i * 37 + 11) * words, i * words, (i + 1) * words);
    for (let t = 0; t < 5; t++) {
      const q = codes.slice(t * 13 * words, (t * 13 + 1) * words);
      for (const k of [1, 10, 100, n, n + 5]) {
        assert.deepEqual(hammingTopK(codes, words, q, k), bruteForce(codes, words, q, k));
      }
    }
  });
}

test('hammingTopK scans a range, merge of ranges equals the whole', () => {
  const next = rng(3);
  const codes = new Uint32Array(1000 * 8);
  for (let i = 0; i < codes.length; i++) codes[i] = next();
  const q = codes.slice(0, 8);
  const a = hammingTopK(codes, 8, q, 20, { start: 0, end: 400 });
  const b = hammingTopK(codes, 8, q, 20, { start: 400, end: 1000 });
  assert.ok(b.every((h) => h.index >= 400));
  assert.deepEqual(mergeTopK([b, a], 20), hammingTopK(codes, 8, q, 20));
});

test('hammingTopK validates its parameters', () => {
  const codes = new Uint32Array(16);
  assert.throws(() => hammingTopK(codes, 8, new Uint32Array(4), 1), /query/);
  assert.throws(() => hammingTopK(codes, 3, new Uint32Array(3), 1), /codes/);
  assert.throws(() => hammingTopK(codes, 8, new Uint32Array(8), 0), /for k/);
});

test('HammingPool (2 workers) equals the single-thread scan', async () => {
  const next = rng(11);
  const n = 20_001;
  const codes = sharedCodes(n * 8);
  for (let i = 0; i < codes.length; i++) codes[i] = next() & 0xff00ff00;
  const pool = new HammingPool(codes, 8, 2);
  try {
    for (let t = 0; t < 3; t++) {
      const q = codes.slice(t * 800, t * 800 + 8);
      assert.deepEqual(await pool.search(q, 50), hammingTopK(codes, 8, q, 50));
    }
  } finally {
    await pool.close();
  }
  assert.throws(() => new HammingPool(new Uint32Array(8), 8), /SharedArrayBuffer/);
});
