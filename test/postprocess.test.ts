import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyTransform, codeFunction, deserializeTransform, fitTransform, l2normalize, MIN_CENTRE_VECTORS, MIN_FIT_VECTORS, needsFit, serializeTransform,
} from '../src/encode/postprocess.js';
import { symmetricEigenQL } from '../src/encode/eigen.js';
import type { PostPolicy } from '../src/encode/recipe.js';
import { isSimiliError } from '../src/errors.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Box-Muller normal deviates. */
function normal(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

/**
 * n rows of mean + A z with z ~ N(0, I): covariance A A^T, known. A is diagonal scales
 * followed by a fixed rotation so that the axes are not the coordinate axes.
 */
function correlated(n: number, dim: number, seed = 7): Float32Array {
  const g = normal(seeded(seed));
  const scales = Array.from({ length: dim }, (_, i) => 3 / (1 + i));
  // A rotation: Householder reflection I - 2 u u^T.
  const u = l2normalize(Float32Array.from({ length: dim }, () => g()));
  const out = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    const z = scales.map((s) => s * g());
    let uz = 0;
    for (let i = 0; i < dim; i++) uz += u[i]! * z[i]!;
    for (let i = 0; i < dim; i++) out[r * dim + i] = 5 + z[i]! - 2 * u[i]! * uz;
  }
  return out;
}

function covariance(rows: Float32Array[], dim: number): Float64Array {
  const n = rows.length;
  const mean = new Float64Array(dim);
  for (const r of rows) for (let i = 0; i < dim; i++) mean[i]! += r[i]! / n;
  const cov = new Float64Array(dim * dim);
  for (const r of rows) {
    for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) cov[a * dim + b]! += ((r[a]! - mean[a]!) * (r[b]! - mean[b]!)) / n;
  }
  return cov;
}

function whitened(data: Float32Array, n: number, dim: number, policy: PostPolicy): { rows: Float32Array[]; outDim: number } {
  const t = fitTransform(data, n, dim, policy);
  assert.ok(t);
  const rows: Float32Array[] = [];
  for (let i = 0; i < n; i++) rows.push(applyTransform(t, l2normalize(data.slice(i * dim, (i + 1) * dim))));
  return { rows, outDim: t.outDim };
}

const NO_SHRINK: PostPolicy = { power: 1, whiten: { dim: 0, shrinkage: 0 } };

test('symmetric eigen-decomposition: A v = lambda v, orthonormal vectors, descending values', () => {
  const n = 30;
  const rand = seeded(3);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rand() - 0.5;
  const { values, vectors } = symmetricEigenQL(a, n);
  for (let r = 0; r < n; r++) {
    if (r > 0) assert.ok(values[r - 1]! >= values[r]!);
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let k = 0; k < n; k++) av += a[i * n + k]! * vectors[r * n + k]!;
      assert.ok(Math.abs(av - values[r]! * vectors[r * n + i]!) < 1e-10);
    }
    for (let s = 0; s < n; s++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += vectors[r * n + k]! * vectors[s * n + k]!;
      assert.ok(Math.abs(dot - (r === s ? 1 : 0)) < 1e-10);
    }
  }
});

test('whitening data of known covariance gives identity covariance (n > dim: covariance path)', () => {
  const n = 3000, dim = 12;
  const { rows, outDim } = whitened(correlated(n, dim), n, dim, NO_SHRINK);
  assert.equal(outDim, dim);
  const cov = covariance(rows, outDim);
  for (let a = 0; a < outDim; a++) {
    for (let b = 0; b < outDim; b++) assert.ok(Math.abs(cov[a * outDim + b]! - (a === b ? 1 : 0)) < 1e-3, `cov[${a},${b}] = ${cov[a * outDim + b]}`);
  }
});

test('whitening with fewer vectors than dimensions (Gram path) whitens the spanned subspace', () => {
  const n = 40, dim = 100;
  const { rows, outDim } = whitened(correlated(n, dim, 11), n, dim, NO_SHRINK);
  assert.equal(outDim, n - 1, 'centred data of n rows spans n - 1 directions');
  const cov = covariance(rows, outDim);
  for (let a = 0; a < outDim; a++) {
    for (let b = 0; b < outDim; b++) assert.ok(Math.abs(cov[a * outDim + b]! - (a === b ? 1 : 0)) < 1e-3);
  }
});

test('shrinkage and dimension reduction: variances below 1, leading directions kept', () => {
  const n = 2000, dim = 16;
  const data = correlated(n, dim, 5);
  const { rows, outDim } = whitened(data, n, dim, { power: 1, whiten: { dim: 4, shrinkage: 1 } });
  assert.equal(outDim, 4);
  const cov = covariance(rows, outDim);
  for (let a = 0; a < outDim; a++) {
    const v = cov[a * outDim + a]!;
    // lambda / (lambda + mean lambda): larger for the leading directions.
    assert.ok(v > 0.3 && v < 1, `variance ${v}`);
    if (a > 0) assert.ok(v <= cov[(a - 1) * outDim + a - 1]! + 1e-9);
  }
});

test('codes are unit length; queries and collection go through the same function', () => {
  const n = 200, dim = 10;
  const data = correlated(n, dim, 9);
  const policy: PostPolicy = { power: 0.5, whiten: { dim: 8, shrinkage: 0.5 } };
  const t = fitTransform(data, n, dim, policy);
  const code = codeFunction(policy, t);
  const c = code(data.subarray(0, dim));
  assert.equal(c.length, 8);
  assert.ok(Math.abs(c.reduce((s, x) => s + x * x, 0) - 1) < 1e-5);
  assert.deepEqual(code(data.subarray(0, dim)), c);
  // Without whitening: power + L2 only, same dimension.
  const plain = codeFunction({ power: 1, whiten: null }, null)(Float32Array.from([3, 4]));
  assert.deepEqual(Array.from(plain), [0.6000000238418579, 0.800000011920929]);
});

test('tiny collections: centred only below MIN_FIT_VECTORS, nothing learned below MIN_CENTRE_VECTORS', () => {
  const dim = 8;
  const small = fitTransform(correlated(MIN_FIT_VECTORS - 1, dim), MIN_FIT_VECTORS - 1, dim, NO_SHRINK);
  assert.ok(small);
  assert.equal(small.projection, null);
  assert.equal(small.outDim, dim);
  assert.equal(fitTransform(correlated(MIN_CENTRE_VECTORS - 1, dim), MIN_CENTRE_VECTORS - 1, dim, NO_SHRINK), null);
  assert.equal(fitTransform(new Float32Array(0), 0, dim, NO_SHRINK), null);
  assert.equal(fitTransform(correlated(100, dim), 100, dim, { power: 1, whiten: null }), null);
  // All vectors identical: no variance to whiten.
  const same = new Float32Array(64 * dim).fill(1);
  assert.equal(fitTransform(same, 64, dim, NO_SHRINK), null);
  // Two distinct vectors repeated: rank 1.
  const two = new Float32Array(64 * dim);
  for (let i = 0; i < 64; i++) two[i * dim + (i % 2)] = 1;
  const t = fitTransform(two, 64, dim, NO_SHRINK);
  assert.equal(t?.outDim, 1);
});

test('centring: codes are (x - collection mean), L2; the mean is that of the L2-normalised rows', () => {
  const n = 50, dim = 5;
  const data = correlated(n, dim, 13);
  const policy: PostPolicy = { power: 1, centre: true, whiten: null };
  assert.ok(needsFit(policy));
  assert.ok(!needsFit({ power: 1, whiten: null }));
  const t = fitTransform(data, n, dim, policy);
  assert.ok(t);
  assert.equal(t.projection, null);
  const rows = Array.from({ length: n }, (_, i) => l2normalize(data.slice(i * dim, (i + 1) * dim)));
  for (let j = 0; j < dim; j++) assert.ok(Math.abs(t.mean[j]! - rows.reduce((s, r) => s + r[j]!, 0) / n) < 1e-6);
  const code = codeFunction(policy, t)(data.subarray(0, dim));
  const expected = l2normalize(rows[0]!.map((v, j) => v - t.mean[j]!));
  for (let j = 0; j < dim; j++) assert.ok(Math.abs(code[j]! - expected[j]!) < 1e-6);
  const back = deserializeTransform(serializeTransform(t));
  assert.equal(back.projection, null);
  assert.deepEqual(back.mean, t.mean);
});

test('transform round-trips through a Buffer; corrupt buffers are refused', () => {
  const n = 100, dim = 6;
  const t = fitTransform(correlated(n, dim), n, dim, { power: 1, whiten: { dim: 4 } });
  assert.ok(t);
  const back = deserializeTransform(serializeTransform(t));
  assert.equal(back.inDim, t.inDim);
  assert.equal(back.outDim, t.outDim);
  assert.equal(back.fittedOn, n);
  assert.deepEqual(back.mean, t.mean);
  assert.deepEqual(back.projection, t.projection);
  const buf = serializeTransform(t);
  assert.throws(() => deserializeTransform(buf.subarray(0, buf.length - 4)), (e: unknown) => isSimiliError(e));
  assert.throws(() => deserializeTransform(Buffer.from('nonsense, not a transform')), (e: unknown) => isSimiliError(e));
});

test('parameters are validated', () => {
  const data = correlated(50, 4);
  const bad = (policy: unknown): void => {
    assert.throws(() => fitTransform(data, 50, 4, policy as PostPolicy), (e: unknown) => isSimiliError(e) && e.code === 'INVALID_PARAMETER');
  };
  bad({ power: 0, whiten: null });
  bad({ power: 1, whiten: { dim: -1 } });
  bad({ power: 1, whiten: { dim: 4, shrinkage: -1 } });
  bad({ power: 1, whiten: null, centre: 'yes' });
  bad({ power: 1, whiten: null, dba: { k: 0, alpha: 1 } });
  assert.throws(() => fitTransform(data, 51, 4, NO_SHRINK), (e: unknown) => isSimiliError(e));
  assert.throws(() => fitTransform(data, 50, 0, NO_SHRINK), (e: unknown) => isSimiliError(e));
});
