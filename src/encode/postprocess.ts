/**
 * Post-processing learned from the collection itself: signed power -> L2 -> subtract the
 * collection mean (centring) -> optionally PCA-whitening with shrinkage -> L2. The transform
 * is fitted on the collection's raw vectors and stored with it, so queries are projected
 * exactly like the collection. Learning from the searched collection uses no labels, only
 * the distribution of the user's own images.
 *
 * Why centring helps: every CNN code of a collection shares a large common component
 * (what all its photos have in common); cosine between uncentred codes is dominated by it.
 * Why whitening is off in every preset: on category-level collections the directions of
 * largest variance ARE the categories, and whitening divides them down (measured:
 * corel-1k mAP 0.87 -> 0.51 at best; docs/quality.md). It stays available for
 * instance-level collections, where the literature finds it helps.

 */
import { invalidParameter, SimiliError } from '../errors.js';
import { integerInRange, numberInRange } from '../validate.js';
import { symmetricEigenQL } from './eigen.js';
import type { PostPolicy } from './recipe.js';

export interface LearnedTransform {
  /** Input dimension. */
  inDim: number;
  /** Output dimension. */
  outDim: number;
  /** Number of vectors it was fitted on (the collection refits when it has grown a lot). */
  fittedOn: number;
  mean: Float32Array;
  /**
   * outDim x inDim, row-major: projection already scaled by the whitening;
   * null = centring only (outDim = inDim).
   */
  projection: Float32Array | null;
}

/** Fewer vectors than this and no mean is learned (a mean of 1-7 images is that image). */
export const MIN_CENTRE_VECTORS = 8;
/**
 * Fewer vectors than this and no whitening is learned: a covariance from a handful of
 * images is noise, and whitening it would make search worse than the raw codes.
 */
export const MIN_FIT_VECTORS = 32;
/**
 * The covariance is estimated on at most this many vectors (evenly spaced): its cost is
 * n * dim^2, and the leading directions are stable long before 10k samples.
 */
export const MAX_FIT_VECTORS = 8192;
/** Default shrinkage (see PostPolicy.whiten.shrinkage), the measured best of docs/quality.md. */
export const DEFAULT_SHRINKAGE = 0.5;

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

/** In place: sign(x) |x|^p. Tames bursty activations (one strong channel dominating). */
export function signedPower(v: Float32Array, p: number): Float32Array {
  if (p === 1) return v;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    v[i] = x < 0 ? -Math.pow(-x, p) : Math.pow(x, p);
  }
  return v;
}

export function checkPostPolicy(policy: unknown): PostPolicy {
  if (typeof policy !== 'object' || policy === null) throw invalidParameter('recipe.post', 'an object', policy);
  const p = policy as PostPolicy;
  if (typeof p.power !== 'number' || !(p.power > 0 && p.power <= 1)) throw invalidParameter('recipe.post.power', 'a number in (0, 1]', p.power);
  if (p.centre !== undefined && typeof p.centre !== 'boolean') throw invalidParameter('recipe.post.centre', 'a boolean', p.centre);
  if (p.dba !== undefined && p.dba !== null) {
    if (typeof p.dba !== 'object') throw invalidParameter('recipe.post.dba', 'null or { k, alpha, passes }', p.dba);
    integerInRange('recipe.post.dba.k', p.dba.k, 1, 1000);
    numberInRange('recipe.post.dba.alpha', p.dba.alpha, 0, 100);
    if (p.dba.passes !== undefined) integerInRange('recipe.post.dba.passes', p.dba.passes, 1, 10);
  }
  if (p.whiten !== null) {
    if (typeof p.whiten !== 'object' || p.whiten === undefined) throw invalidParameter('recipe.post.whiten', 'null or { dim, shrinkage }', p.whiten);
    const { dim, shrinkage } = p.whiten;
    if (!Number.isInteger(dim) || dim < 0) throw invalidParameter('recipe.post.whiten.dim', 'a non-negative integer (0 = all)', dim);
    if (shrinkage !== undefined && (typeof shrinkage !== 'number' || !(shrinkage >= 0) || !Number.isFinite(shrinkage))) {
      throw invalidParameter('recipe.post.whiten.shrinkage', 'a non-negative number', shrinkage);
    }
  }
  return p;
}

/** Whether the policy learns anything from the collection (the collection then fits and stores a transform). */
export function needsFit(policy: PostPolicy): boolean {
  return policy.centre === true || policy.whiten !== null;
}

/** The part of the code function that comes before the learned projection. */
function prepare(raw: Float32Array, policy: PostPolicy): Float32Array {
  return l2normalize(signedPower(Float32Array.from(raw), policy.power));
}

/**
 * Learn the collection's mean and, if asked, PCA-whitening from its raw vectors (`data` is
 * n x dim, row-major). Returns null when the policy learns nothing or the collection is too
 * small to learn from: search then uses the power-normalised raw codes. A collection big
 * enough to centre but too small to whiten (MIN_CENTRE_VECTORS <= n < MIN_FIT_VECTORS) is
 * centred only.
 *
 * Eigenvalues are shrunk towards their mean before inverting,
 *   scale_i = 1 / sqrt(lambda_i + shrinkage * mean(lambda)),
 * so the weak, noisy directions (all of them, when n < dim) are not blown up to unit variance.
 */
export function fitTransform(data: Float32Array, n: number, dim: number, policy: PostPolicy): LearnedTransform | null {
  if (!(data instanceof Float32Array)) throw invalidParameter('data', 'a Float32Array', data);
  if (!Number.isInteger(n) || n < 0) throw invalidParameter('n', 'a non-negative integer', n);
  if (!Number.isInteger(dim) || dim < 1) throw invalidParameter('dim', 'a positive integer', dim);
  if (data.length < n * dim) throw invalidParameter('data', `at least ${n * dim} values (n x dim)`, data.length);
  checkPostPolicy(policy);
  const whiten = n >= MIN_FIT_VECTORS ? policy.whiten : null;
  const centre = policy.centre === true || policy.whiten !== null;
  if (!centre || n < MIN_CENTRE_VECTORS) return null;

  const m = Math.min(n, MAX_FIT_VECTORS);
  const rows: Float32Array[] = [];
  for (let i = 0; i < m; i++) {
    const src = Math.floor((i * n) / m);
    rows.push(prepare(data.subarray(src * dim, (src + 1) * dim), policy));
  }
  const mean = new Float64Array(dim);
  for (const r of rows) for (let j = 0; j < dim; j++) mean[j]! += r[j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= m;
  if (whiten === null) return { inDim: dim, outDim: dim, fittedOn: n, mean: Float32Array.from(mean), projection: null };
  const centred = new Float64Array(m * dim);
  rows.forEach((r, i) => {
    for (let j = 0; j < dim; j++) centred[i * dim + j] = r[j]! - mean[j]!;
  });

  const { values, vectors } = principalAxes(centred, m, dim);
  // Directions with (numerically) zero variance carry nothing and cannot be scaled.
  const rank = values.findIndex((v) => !(v > values[0]! * 1e-9));
  const available = rank === -1 ? values.length : rank;
  if (available === 0) return null;
  const outDim = Math.min(whiten.dim > 0 ? whiten.dim : dim, available);
  let total = 0;
  for (let i = 0; i < available; i++) total += values[i]!;
  const ridge = (whiten.shrinkage ?? DEFAULT_SHRINKAGE) * (total / available);

  const projection = new Float32Array(outDim * dim);
  for (let o = 0; o < outDim; o++) {
    const scale = 1 / Math.sqrt(values[o]! + ridge);
    for (let j = 0; j < dim; j++) projection[o * dim + j] = vectors[o * dim + j]! * scale;
  }
  return { inDim: dim, outDim, fittedOn: n, mean: Float32Array.from(mean), projection };
}

/**
 * Eigenvalues (descending) and unit eigenvectors (rows, length dim) of the covariance of
 * the centred m x dim rows. With fewer rows than dimensions the m x m Gram matrix is
 * decomposed instead (same non-zero spectrum, far cheaper) and mapped back.
 */
function principalAxes(centred: Float64Array, m: number, dim: number): { values: Float64Array; vectors: Float64Array } {
  if (m >= dim) {
    const cov = new Float64Array(dim * dim);
    for (let i = 0; i < m; i++) {
      const off = i * dim;
      for (let a = 0; a < dim; a++) {
        const x = centred[off + a]!;
        if (x === 0) continue;
        const row = a * dim;
        for (let b = a; b < dim; b++) cov[row + b]! += x * centred[off + b]!;
      }
    }
    for (let a = 0; a < dim; a++) {
      for (let b = a; b < dim; b++) {
        const v = cov[a * dim + b]! / m;
        cov[a * dim + b] = v;
        cov[b * dim + a] = v;
      }
    }
    return symmetricEigenQL(cov, dim);
  }
  const gram = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = i; k < m; k++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += centred[i * dim + j]! * centred[k * dim + j]!;
      gram[i * m + k] = s / m;
      gram[k * m + i] = s / m;
    }
  }
  const small = symmetricEigenQL(gram, m);
  const vectors = new Float64Array(m * dim);
  for (let c = 0; c < m; c++) {
    const lambda = small.values[c]!;
    if (!(lambda > 0)) continue;
    // v = X^T u / sqrt(m lambda) has unit length when u does.
    const inv = 1 / Math.sqrt(m * lambda);
    for (let i = 0; i < m; i++) {
      const u = small.vectors[c * m + i]! * inv;
      if (u === 0) continue;
      for (let j = 0; j < dim; j++) vectors[c * dim + j]! += u * centred[i * dim + j]!;
    }
  }
  return { values: small.values, vectors };
}

/** (raw - mean), projected and whitened when the transform has a projection; not normalised. */
export function applyTransform(t: LearnedTransform, raw: Float32Array): Float32Array {
  if (raw.length !== t.inDim) throw invalidParameter('vector', `${t.inDim} values`, raw.length);
  const centred = new Float32Array(t.inDim);
  for (let i = 0; i < t.inDim; i++) centred[i] = raw[i]! - t.mean[i]!;
  if (t.projection === null) return centred;
  const out = new Float32Array(t.outDim);
  for (let o = 0; o < t.outDim; o++) {
    let s = 0;
    const row = o * t.inDim;
    for (let i = 0; i < t.inDim; i++) s += t.projection[row + i]! * centred[i]!;
    out[o] = s;
  }
  return out;
}

/** Raw encoder output -> searchable, L2-normalised code (what both index and query use). */
export function codeFunction(policy: PostPolicy, transform: LearnedTransform | null): (raw: Float32Array) => Float32Array {
  checkPostPolicy(policy);
  return (raw) => {
    const v = prepare(raw, policy);
    return transform ? l2normalize(applyTransform(transform, v)) : v;
  };
}

const MAGIC = 0x57484954; // "WHIT"
const VERSION = 1;
const HEAD = 24;

/**
 * Layout: magic, version, inDim, outDim, fittedOn, hasProjection (uint32 LE), then the
 * mean and, if present, the projection (float32 LE).
 */
export function serializeTransform(t: LearnedTransform): Buffer {
  const head = Buffer.alloc(HEAD);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(VERSION, 4);
  head.writeUInt32LE(t.inDim, 8);
  head.writeUInt32LE(t.outDim, 12);
  head.writeUInt32LE(t.fittedOn, 16);
  head.writeUInt32LE(t.projection ? 1 : 0, 20);
  const body = Buffer.alloc((t.inDim + (t.projection ? t.inDim * t.outDim : 0)) * 4);
  t.mean.forEach((v, i) => body.writeFloatLE(v, i * 4));
  const at = t.inDim * 4;
  t.projection?.forEach((v, i) => body.writeFloatLE(v, at + i * 4));
  return Buffer.concat([head, body]);
}

export function deserializeTransform(buf: Buffer): LearnedTransform {
  if (!Buffer.isBuffer(buf)) throw invalidParameter('buffer', 'a Buffer', buf);
  const corrupt = (why: string): SimiliError =>
    new SimiliError('SCHEMA_VERSION', `Stored post-processing transform is unreadable (${why}); re-index the collection`);
  if (buf.length < HEAD || buf.readUInt32LE(0) !== MAGIC) throw corrupt('bad header');
  if (buf.readUInt32LE(4) !== VERSION) throw corrupt(`version ${buf.readUInt32LE(4)}`);
  const inDim = buf.readUInt32LE(8);
  const outDim = buf.readUInt32LE(12);
  const fittedOn = buf.readUInt32LE(16);
  const hasProjection = buf.readUInt32LE(20) === 1;
  if (!hasProjection && outDim !== inDim) throw corrupt('centring with a dimension change');
  if (buf.length !== HEAD + (inDim + (hasProjection ? inDim * outDim : 0)) * 4) throw corrupt('truncated');
  const mean = new Float32Array(inDim);
  for (let i = 0; i < inDim; i++) mean[i] = buf.readFloatLE(HEAD + i * 4);
  if (!hasProjection) return { inDim, outDim, fittedOn, mean, projection: null };
  const projection = new Float32Array(inDim * outDim);
  const at = HEAD + inDim * 4;
  for (let i = 0; i < projection.length; i++) projection[i] = buf.readFloatLE(at + i * 4);
  return { inDim, outDim, fittedOn, mean, projection };
}
