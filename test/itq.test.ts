import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainItq, binarise, binariseAll, serialiseItq, deserialiseItq } from '../src/binary/itq.js';
import { hammingDistance, hammingTopK } from '../src/binary/hamming.js';
import { hammingThenRerank } from '../src/binary/rerank.js';
import { svdJacobi, symmetricEigen, matmul, transpose, randomOrthogonal } from '../src/binary/linalg.js';
import { gaussian, seededRandom } from '../src/random.js';

/** Clustered unit vectors: `clusters` centres, members = centre + small noise. */
function clustered(n: number, dim: number, clusters: number, noise: number, seed = 1): { data: Float32Array; label: Int32Array } {
  const g = gaussian(seededRandom(seed));
  const centres = Array.from({ length: clusters }, () => Float64Array.from({ length: dim }, () => g()));
  const data = new Float32Array(n * dim);
  const label = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    label[i] = c;
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = centres[c]![d]! + noise * g();
      data[i * dim + d] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) data[i * dim + d]! /= norm;
  }
  return { data, label };
}

function maxOrthogonalityError(r: Float64Array, n: number): number {
  const rrt = matmul(r, transpose(r, n, n), n, n, n);
  let err = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) err = Math.max(err, Math.abs(rrt[i * n + j]! - (i === j ? 1 : 0)));
  return err;
}

test('Jacobi SVD reconstructs A and its factors are orthogonal', () => {
  const g = gaussian(seededRandom(5));
  const n = 24;
  const a = Float64Array.from({ length: n * n }, () => g());
  const { u, s, v } = svdJacobi(a, n, n);
  const us = Float64Array.from(u, (x, i) => x * s[i % n]!);
  const back = matmul(us, transpose(v, n, n), n, n, n);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(back[i]! - a[i]!) < 1e-9);
  assert.ok(maxOrthogonalityError(transpose(u, n, n), n) < 1e-9);
  assert.ok(maxOrthogonalityError(v, n) < 1e-9);
});

test('symmetric Jacobi eigen: A v = lambda v, descending', () => {
  const g = gaussian(seededRandom(9));
  const n = 20;
  const m = Float64Array.from({ length: n * n }, () => g());
  const a = matmul(m, transpose(m, n, n), n, n, n);
  const { values, vectors } = symmetricEigen(a, n);
  for (let i = 1; i < n; i++) assert.ok(values[i - 1]! >= values[i]!);
  for (let i = 0; i < n; i++) {
    const vi = vectors.subarray(i * n, i * n + n);
    const av = matmul(a, Float64Array.from(vi), n, n, 1);
    for (let k = 0; k < n; k++) assert.ok(Math.abs(av[k]! - values[i]! * vi[k]!) < 1e-8);
  }
});

test('random orthogonal matrix is orthogonal', () => {
  assert.ok(maxOrthogonalityError(randomOrthogonal(40, seededRandom(3)), 40) < 1e-12);
});

test('ITQ: rotation stays orthogonal (bit hyperplanes are orthonormal after PCA)', () => {
  const { data } = clustered(600, 64, 12, 0.6);
  const model = trainItq(data, 64, { bits: 64, iterations: 20 });
  // PCA rows are orthonormal and R is orthogonal, so projection rows must be orthonormal.
  const p = Float64Array.from(model.projection);
  const ppt = matmul(p, transpose(p, 64, 64), 64, 64, 64);
  let err = 0;
  for (let i = 0; i < 64; i++) for (let j = 0; j < 64; j++) err = Math.max(err, Math.abs(ppt[i * 64 + j]! - (i === j ? 1 : 0)));
  assert.ok(err < 1e-4, `orthogonality error ${err}`);
});

test('ITQ: near vectors get near codes, far vectors far codes; search finds the cluster', () => {
  const dim = 400; // > 320: exercises the subspace-iteration PCA path
  const { data, label } = clustered(800, dim, 16, 0.35, 2);
  const model = trainItq(data, dim, { bits: 64, iterations: 30 });
  const codes = binariseAll(model, data);
  const words = 2;
  let same = 0, sameN = 0, diff = 0, diffN = 0;
  for (let i = 0; i < 200; i++) {
    for (let j = i + 1; j < 200; j++) {
      const d = hammingDistance(codes, i * words, codes, j * words, words);
      if (label[i] === label[j]) { same += d; sameN++; } else { diff += d; diffN++; }
    }
  }
  assert.ok(same / sameN < 0.5 * (diff / diffN), `same ${same / sameN} vs different ${diff / diffN}`);
  // Hamming top-10 of a query is mostly its own cluster.
  let correct = 0;
  for (let q = 0; q < 50; q++) {
    const hits = hammingTopK(codes, words, codes.subarray(q * words, q * words + words), 11);
    correct += hits.filter((h) => h.index !== q && label[h.index] === label[q]).length;
  }
  assert.ok(correct / (50 * 10) > 0.8, `precision ${correct / 500}`);
  // A slightly perturbed vector keeps most bits.
  const v = Float32Array.from(data.subarray(0, dim), (x, d) => x + (d % 7 === 0 ? 0.002 : 0));
  assert.ok(hammingDistance(binarise(model, v), 0, codes, 0, words) <= 4);
});

test('ITQ model serialise round trip gives identical codes', () => {
  const { data } = clustered(300, 64, 5, 0.5, 4);
  const model = trainItq(data, 64, { bits: 32, iterations: 5 });
  const buf = serialiseItq(model);
  const back = deserialiseItq(Buffer.concat([Buffer.from([1, 2, 3]), buf]).subarray(3));
  assert.equal(back.dim, 64);
  assert.equal(back.bits, 32);
  assert.deepEqual(binariseAll(back, data), binariseAll(model, data));
  assert.throws(() => deserialiseItq(Buffer.from('nope')), /serialiseItq/);
  assert.throws(() => trainItq(data, 64, { bits: 48 }), /multiple of 32/);
  assert.throws(() => trainItq(data, 64, { bits: 96 }), /bits/);
});

test('hammingThenRerank: re-ranks candidates by cosine, excludes, equals float search when candidates = N', () => {
  const dim = 64;
  const { data } = clustered(500, dim, 10, 0.5, 6);
  const model = trainItq(data, dim, { bits: 64, iterations: 10 });
  const codes = binariseAll(model, data);
  const q = 3;
  const queryFloat = data.subarray(q * dim, q * dim + dim);
  const queryCode = codes.subarray(q * 2, q * 2 + 2);
  const hits = hammingThenRerank({ codes, wordsPerCode: 2, queryCode, floats: data, dim, queryFloat, k: 10, candidates: 500, exclude: new Set([q]) });
  const brute = Array.from({ length: 500 }, (_, i) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[i * dim + d]! * queryFloat[d]!;
    return { i, s };
  }).filter((x) => x.i !== q).sort((a, b) => b.s - a.s).slice(0, 10).map((x) => x.i);
  assert.deepEqual(hits.map((h) => h.index), brute);
  for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1]!.score >= hits[i]!.score);
  assert.throws(() => hammingThenRerank({ codes, wordsPerCode: 2, queryCode, floats: data, dim, queryFloat, k: 10, candidates: 5 }), /candidates/);
});

test('itqSearcher: ids map through a reordered live matrix; rerank 0 = Hamming order', async () => {
  const { itqSearcher } = await import('../src/binary/itq-collection.js');
  const dim = 64;
  const { data } = clustered(200, dim, 8, 0.5, 8);
  const model = trainItq(data, dim, { bits: 64, iterations: 10 });
  const ids = Int32Array.from({ length: 200 }, (_, i) => 1000 + i);
  const stored = { model, codes: { ids, bits: 64, codes: binariseAll(model, data) } };
  // Live matrix in reverse order, as if rows moved since training.
  const live = new Float32Array(data.length);
  const liveIds = new Int32Array(200);
  for (let i = 0; i < 200; i++) {
    live.set(data.subarray(i * dim, (i + 1) * dim), (199 - i) * dim);
    liveIds[199 - i] = ids[i]!;
  }
  const search = itqSearcher(stored, { ids: liveIds, dim, data: live });
  const query = data.subarray(5 * dim, 6 * dim);
  const hits = search(query, 10, 200);
  assert.equal(hits[0]!.id, 1005);
  const cos = (i: number) => { let s = 0; for (let d = 0; d < dim; d++) s += data[i * dim + d]! * query[d]!; return s; };
  const brute = Array.from({ length: 200 }, (_, i) => i).sort((a, b) => cos(b) - cos(a)).slice(0, 10).map((i) => 1000 + i);
  assert.deepEqual(hits.map((h) => h.id), brute);
  const hamming = search(query, 10, 0);
  for (let i = 1; i < hamming.length; i++) assert.ok(hamming[i - 1]!.distance <= hamming[i]!.distance);
});
