/**
 * The little dense linear algebra ITQ needs, on row-major Float64Array matrices:
 * products, Gram-Schmidt, a cyclic Jacobi eigensolver for symmetric matrices and a
 * one-sided (Hestenes) Jacobi SVD. Sizes here are at most a few hundred to ~1,300, where
 * Jacobi's simplicity and accuracy beat anything cleverer we could write in JS.
 */
import { gaussian } from '../random.js';

/**
 * C (m x n) = A (m x k) * B (k x n). Four rows of C per pass so each load of a B row feeds
 * four multiply-adds: ~3x faster in V8 than the plain i-k-j loop at ITQ's sizes.
 */
export function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const c0 = i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
    const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let p = 0; p < k; p++) {
      const x0 = a[a0 + p]!, x1 = a[a1 + p]!, x2 = a[a2 + p]!, x3 = a[a3 + p]!;
      const bp = p * n;
      for (let j = 0; j < n; j++) {
        const y = b[bp + j]!;
        c[c0 + j]! += x0 * y;
        c[c1 + j]! += x1 * y;
        c[c2 + j]! += x2 * y;
        c[c3 + j]! += x3 * y;
      }
    }
  }
  for (; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j]! += aip * b[bp + j]!;
    }
  }
  return c;
}

/** C (m x n) = A^T * B where A is (k x m) and B is (k x n). */
export function matmulTransA(a: Float64Array, b: Float64Array, k: number, m: number, n: number): Float64Array {
  return matmul(transpose(a, k, m), b, m, k, n);
}

/** Transpose of an m x n matrix. */
export function transpose(a: Float64Array, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!;
  return t;
}

/**
 * Modified Gram-Schmidt on the rows of a (rows x cols) matrix, in place. A row that
 * collapses (linearly dependent) is replaced by a fresh random direction so the result
 * always has orthonormal rows.
 */
export function orthonormalizeRows(q: Float64Array, rows: number, cols: number, random: () => number): void {
  for (let r = 0; r < rows; r++) {
    for (let attempt = 0; attempt < 3; attempt++) {
      for (let s = 0; s < r; s++) {
        let dot = 0;
        for (let c = 0; c < cols; c++) dot += q[r * cols + c]! * q[s * cols + c]!;
        for (let c = 0; c < cols; c++) q[r * cols + c]! -= dot * q[s * cols + c]!;
      }
      let norm = 0;
      for (let c = 0; c < cols; c++) norm += q[r * cols + c]! ** 2;
      norm = Math.sqrt(norm);
      if (norm > 1e-10) {
        for (let c = 0; c < cols; c++) q[r * cols + c]! /= norm;
        break;
      }
      for (let c = 0; c < cols; c++) q[r * cols + c] = random() - 0.5;
    }
  }
}

export interface Eigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Row i is the unit eigenvector of values[i] (n x n, row-major). */
  vectors: Float64Array;
}

/** Eigen-decomposition of a symmetric n x n matrix by cyclic Jacobi rotations. */
export function symmetricEigen(input: Float64Array, n: number, maxSweeps = 60): Eigen {
  const a = Float64Array.from(input);
  // v holds eigenvectors as rows; rotations are applied to its rows.
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0, total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const x = a[i * n + j]! ** 2;
        total += x;
        if (i !== j) off += x;
      }
    }
    if (off <= 1e-22 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * n + p]!, aqq = a[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!, akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!, aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vpk = v[p * n + k]!, vqk = v[q * n + k]!;
          v[p * n + k] = c * vpk - s * vqk;
          v[q * n + k] = s * vpk + c * vqk;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y]! - a[x * n + x]!);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = a[src * n + src]!;
    vectors.set(v.subarray(src * n, src * n + n), dst * n);
  });
  return { values, vectors };
}

export interface Svd {
  /** m x n, orthonormal columns (for non-zero singular values). */
  u: Float64Array;
  /** n singular values, not sorted. */
  s: Float64Array;
  /** n x n orthogonal. */
  v: Float64Array;
}

/**
 * Thin SVD of an m x n matrix (m >= n) by one-sided Jacobi: rotate column pairs of A until
 * all are orthogonal; then A V = U S. Columns are kept as contiguous rows of A^T for speed.
 */
export function svdJacobi(a: Float64Array, m: number, n: number, maxSweeps = 60, tolerance = 1e-15): Svd {
  const at = transpose(a, m, n); // row j = column j of A
  const vt = new Float64Array(n * n); // row j = column j of V
  for (let i = 0; i < n; i++) vt[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        const po = p * m, qo = q * m;
        for (let k = 0; k < m; k++) {
          const x = at[po + k]!, y = at[qo + k]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (Math.abs(gamma) <= tolerance * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        for (let k = 0; k < m; k++) {
          const x = at[po + k]!, y = at[qo + k]!;
          at[po + k] = c * x - s * y;
          at[qo + k] = s * x + c * y;
        }
        const pv = p * n, qv = q * n;
        for (let k = 0; k < n; k++) {
          const x = vt[pv + k]!, y = vt[qv + k]!;
          vt[pv + k] = c * x - s * y;
          vt[qv + k] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const s = new Float64Array(n);
  const u = new Float64Array(m * n);
  for (let j = 0; j < n; j++) {
    let norm = 0;
    for (let k = 0; k < m; k++) norm += at[j * m + k]! ** 2;
    norm = Math.sqrt(norm);
    s[j] = norm;
    if (norm > 0) for (let k = 0; k < m; k++) u[k * n + j] = at[j * m + k]! / norm;
  }
  return { u, s, v: transpose(vt, n, n) };
}

/** A random n x n orthogonal matrix (Gram-Schmidt of a Gaussian matrix). */
export function randomOrthogonal(n: number, random: () => number): Float64Array {
  const g = gaussian(random);
  const q = new Float64Array(n * n);
  for (let i = 0; i < q.length; i++) q[i] = g();
  orthonormalizeRows(q, n, n, random);
  return q;
}
