/**
 * Iterative quantisation (Gong & Lazebnik, CVPR 2011): binary codes from float vectors.
 * Centre, project on the top-b principal directions, then learn an orthogonal rotation R
 * that minimises the quantisation loss ||sign(VR) - VR||_F by alternating B = sign(VR) and
 * the orthogonal Procrustes solution R = polar(V^T B). A code bit is then one hyperplane
 * test, so `binarise` costs one b x dim product per image.
 */
import { seededRandom } from '../random.js';
import { invalidParameter } from '../errors.js';
import { integerInRange } from '../validate.js';
import { wordsForBits } from './hamming.js';
import {
  matmul, matmulTransA, orthonormalizeRows, randomOrthogonal, svdJacobi, symmetricEigen,
} from './linalg.js';

export interface ItqModel {
  dim: number;
  bits: number;
  /** Row j (length dim) is the hyperplane normal of bit j: PCA directions times the rotation. */
  projection: Float32Array;
  /** Bit j is set when vector . projection_j >= threshold_j (the mean's projection). */
  threshold: Float32Array;
}

export interface ItqOptions {
  /** Code length: a multiple of 32, 32..1024, at most dim. */
  bits: number;
  /** ITQ rotation iterations (the paper uses 50). */
  iterations?: number;
  seed?: number;
  /**
   * Train on at most this many vectors (evenly strided sample). Both the covariance
   * (N x dim^2) and each rotation step (N x bits^2) grow with it; 5,000 samples estimate
   * 256 directions of a 1280-d code well and keep training to about a minute of CPU.
   */
  maxTrainingVectors?: number;
}

/**
 * Learn an ITQ model from `count` row-major vectors of length `dim`.
 */
export function trainItq(vectors: Float32Array, dim: number, options: ItqOptions): ItqModel {
  integerInRange('dim', dim, 1, 1 << 16);
  if (vectors.length % dim !== 0 || vectors.length === 0) {
    throw invalidParameter('vectors', `a non-empty matrix with rows of ${dim}`, vectors.length);
  }
  const bits = options.bits;
  wordsForBits(bits);
  integerInRange('bits', bits, 32, Math.min(1024, dim - (dim % 32)));
  const iterations = integerInRange('iterations', options.iterations ?? 50, 0, 1000);
  const maxTrain = integerInRange('maxTrainingVectors', options.maxTrainingVectors ?? 5_000, 2, 10_000_000);
  const random = seededRandom(options.seed ?? 1);

  const { x, n, mean } = centredSample(vectors, dim, maxTrain);
  const pca = principalDirections(x, n, dim, bits, random); // bits x dim
  const v = matmulTransposeB(x, pca, n, dim, bits); // n x bits
  const r = itqRotation(v, n, bits, iterations, random); // bits x bits

  // projection row j = sum_i R[i][j] * pca_i
  const projection = new Float32Array(bits * dim);
  const threshold = new Float32Array(bits);
  for (let j = 0; j < bits; j++) {
    const row = new Float64Array(dim);
    for (let i = 0; i < bits; i++) {
      const w = r[i * bits + j]!;
      for (let d = 0; d < dim; d++) row[d]! += w * pca[i * dim + d]!;
    }
    let t = 0;
    for (let d = 0; d < dim; d++) t += row[d]! * mean[d]!;
    projection.set(row, j * dim);
    threshold[j] = t;
  }
  return { dim, bits, projection, threshold };
}

function centredSample(vectors: Float32Array, dim: number, maxTrain: number): { x: Float64Array; n: number; mean: Float64Array } {
  const total = vectors.length / dim;
  const n = Math.min(total, maxTrain);
  const stride = total / n;
  const x = new Float64Array(n * dim);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const src = Math.floor(i * stride) * dim;
    for (let d = 0; d < dim; d++) {
      const val = vectors[src + d]!;
      x[i * dim + d] = val;
      mean[d]! += val;
    }
  }
  for (let d = 0; d < dim; d++) mean[d]! /= n;
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) x[i * dim + d]! -= mean[d]!;
  return { x, n, mean };
}

/** C (m x n) = A (m x k) * B^T with B (n x k): row-by-row dot products. */
function matmulTransposeB(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[j * k + p]!;
      c[i * n + j] = s;
    }
  }
  return c;
}

/**
 * Top-`bits` eigenvectors of the covariance as rows (bits x dim). Small dims get an exact
 * Jacobi eigensolve; large ones (e.g. 1280-d CNN codes) a block subspace iteration with
 * oversampling followed by Rayleigh-Ritz, which is far cheaper than Jacobi on 1280 x 1280.
 */
function principalDirections(x: Float64Array, n: number, dim: number, bits: number, random: () => number): Float64Array {
  const cov = matmulTransA(x, x, n, dim, dim);
  for (let i = 0; i < cov.length; i++) cov[i]! /= n;
  if (dim <= 320) return symmetricEigen(cov, dim).vectors.slice(0, bits * dim);
  const block = Math.min(dim, bits + 32);
  const q = new Float64Array(block * dim);
  for (let i = 0; i < q.length; i++) q[i] = random() - 0.5;
  orthonormalizeRows(q, block, dim, random);
  for (let it = 0; it < 5; it++) {
    const y = matmul(q, cov, block, dim, dim); // rows: C q_i (C symmetric)
    q.set(y);
    orthonormalizeRows(q, block, dim, random);
  }
  const cq = matmul(q, cov, block, dim, dim);
  const small = matmulTransposeB(cq, q, block, dim, block); // Q C Q^T
  const eig = symmetricEigen(small, block);
  return matmul(eig.vectors.subarray(0, bits * block), q, bits, block, dim);
}

/**
 * The ITQ loop: R minimising ||sign(V R) - V R|| over orthogonal R.
 * Each step needs the SVD of C = B^T V. C changes little between steps, so the Jacobi SVD
 * runs on C * Vprev (columns already nearly orthogonal: a sweep or two instead of ~10) and
 * the previous right factor is folded back in; this is what keeps 50 steps at 256 bits cheap.
 */
function itqRotation(v: Float64Array, n: number, bits: number, iterations: number, random: () => number): Float64Array {
  let r = randomOrthogonal(bits, random);
  const b = new Float64Array(n * bits);
  let vPrev: Float64Array | null = null;
  for (let it = 0; it < iterations; it++) {
    const z = matmul(v, r, n, bits, bits);
    let flipped = 0;
    for (let i = 0; i < z.length; i++) {
      const s = z[i]! >= 0 ? 1 : -1;
      if (s !== b[i]) flipped++;
      b[i] = s;
    }
    // Same B as last step -> same C -> same R: a fixed point, the remaining steps are no-ops.
    if (flipped === 0) break;
    const c = matmulTransA(b, v, n, bits, bits); // B^T V = UB S UA^T
    const start = vPrev ? matmul(c, vPrev, bits, bits, bits) : c;
    const svd = svdJacobi(start, bits, bits, 30, 1e-8);
    const ua: Float64Array = vPrev ? matmul(vPrev, svd.v, bits, bits, bits) : svd.v;
    vPrev = ua;
    // R = UA UB^T
    r = matmulTransposeB(ua, svd.u, bits, bits, bits);
  }
  return r;
}

/** Pack one vector's code into `out` at word `offset` (allocates when `out` is omitted). */
export function binarise(model: ItqModel, vector: ArrayLike<number>, out?: Uint32Array, offset = 0): Uint32Array {
  if (vector.length !== model.dim) throw invalidParameter('vector', `a vector of length ${model.dim}`, vector.length);
  const { dim, bits, projection, threshold } = model;
  const words = bits / 32;
  const dst = out ?? new Uint32Array(words);
  for (let w = 0; w < words; w++) {
    let word = 0;
    for (let b = 0; b < 32; b++) {
      const j = w * 32 + b;
      let s = 0;
      const o = j * dim;
      for (let d = 0; d < dim; d++) s += projection[o + d]! * vector[d]!;
      if (s >= threshold[j]!) word |= 1 << b;
    }
    dst[offset + w] = word >>> 0;
  }
  return dst;
}

/** Codes of every row of a row-major matrix, packed back to back. */
export function binariseAll(model: ItqModel, matrix: Float32Array): Uint32Array {
  if (matrix.length % model.dim !== 0) throw invalidParameter('matrix', `rows of ${model.dim}`, matrix.length);
  const n = matrix.length / model.dim;
  const words = model.bits / 32;
  const out = new Uint32Array(n * words);
  for (let i = 0; i < n; i++) binarise(model, matrix.subarray(i * model.dim, (i + 1) * model.dim), out, i * words);
  return out;
}

const MAGIC = 0x51544953; // 'SITQ' little-endian
const VERSION = 1;
const HEADER_BYTES = 16;

/** Model -> bytes: 16-byte header (magic, version, dim, bits) then float32 thresholds and projection. */
export function serialiseItq(model: ItqModel): Buffer {
  const { dim, bits } = model;
  const buf = Buffer.alloc(HEADER_BYTES + 4 * (bits + bits * dim));
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(VERSION, 4);
  buf.writeUInt32LE(dim, 8);
  buf.writeUInt32LE(bits, 12);
  const floats = new Float32Array(buf.buffer, buf.byteOffset + HEADER_BYTES, bits + bits * dim);
  floats.set(model.threshold, 0);
  floats.set(model.projection, bits);
  return buf;
}

export function deserialiseItq(buf: Buffer): ItqModel {
  if (buf.length < HEADER_BYTES || buf.readUInt32LE(0) !== MAGIC) {
    throw invalidParameter('itq model', 'bytes written by serialiseItq', buf);
  }
  const version = buf.readUInt32LE(4);
  if (version !== VERSION) throw invalidParameter('itq model version', String(VERSION), version);
  const dim = buf.readUInt32LE(8);
  const bits = buf.readUInt32LE(12);
  const expected = HEADER_BYTES + 4 * (bits + bits * dim);
  if (buf.length !== expected) throw invalidParameter('itq model', `${expected} bytes`, buf.length);
  // Copy out: the Buffer may be a slice of a pooled allocation with an unaligned offset.
  const floats = new Float32Array(bits + bits * dim);
  for (let i = 0; i < floats.length; i++) floats[i] = buf.readFloatLE(HEADER_BYTES + 4 * i);
  return { dim, bits, threshold: floats.slice(0, bits), projection: floats.slice(bits) };
}
