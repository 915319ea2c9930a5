/**
 * The two matrix products a convolution needs, on row-major Float32Array views.
 * Written for V8: monomorphic typed-array loops, four output rows per pass so each load
 * of B feeds four multiply-adds, and column blocking so a slab of B stays in cache.
 * Accumulation is in float64 registers (JS numbers) and stored as float32.
 */

const BLOCK_N = 512;

/** C (m x n) = A (m x k) * B (k x n) (+ C when `accumulate`). */
export function gemm(
  a: Float32Array, b: Float32Array, c: Float32Array,
  m: number, k: number, n: number, accumulate = false,
): void {
  if (!accumulate) c.fill(0, 0, m * n);
  for (let j0 = 0; j0 < n; j0 += BLOCK_N) {
    const j1 = Math.min(n, j0 + BLOCK_N);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const c0 = i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
      const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
      for (let p = 0; p < k; p++) {
        const x0 = a[a0 + p]!, x1 = a[a1 + p]!, x2 = a[a2 + p]!, x3 = a[a3 + p]!;
        const bp = p * n;
        for (let j = j0; j < j1; j++) {
          const y = b[bp + j]!;
          c[c0 + j]! += x0 * y;
          c[c1 + j]! += x1 * y;
          c[c2 + j]! += x2 * y;
          c[c3 + j]! += x3 * y;
        }
      }
    }
    for (; i < m; i++) {
      const ci = i * n, ai = i * k;
      for (let p = 0; p < k; p++) {
        const x = a[ai + p]!;
        if (x === 0) continue;
        const bp = p * n;
        for (let j = j0; j < j1; j++) c[ci + j]! += x * b[bp + j]!;
      }
    }
  }
}

/** C (m x n) = A (m x k) * B^T with B (n x k) (+ C when `accumulate`): long dot products. */
export function gemmNT(
  a: Float32Array, b: Float32Array, c: Float32Array,
  m: number, k: number, n: number, accumulate = false,
): void {
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    let j = 0;
    for (; j + 2 <= n; j += 2) {
      const b0 = j * k, b1 = b0 + k;
      let s0 = 0, s1 = 0, t0 = 0, t1 = 0;
      let p = 0;
      for (; p + 2 <= k; p += 2) {
        const x = a[ai + p]!, y = a[ai + p + 1]!;
        s0 += x * b[b0 + p]!;
        t0 += y * b[b0 + p + 1]!;
        s1 += x * b[b1 + p]!;
        t1 += y * b[b1 + p + 1]!;
      }
      for (; p < k; p++) {
        const x = a[ai + p]!;
        s0 += x * b[b0 + p]!;
        s1 += x * b[b1 + p]!;
      }
      if (accumulate) {
        c[i * n + j]! += s0 + t0;
        c[i * n + j + 1]! += s1 + t1;
      } else {
        c[i * n + j] = s0 + t0;
        c[i * n + j + 1] = s1 + t1;
      }
    }
    for (; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p]! * b[bj + p]!;
      if (accumulate) c[i * n + j]! += s;
      else c[i * n + j] = s;
    }
  }
}

/** out (n x m) = transpose of a (m x n). */
export function transposeInto(a: Float32Array, out: Float32Array, m: number, n: number): void {
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = a[i * n + j]!;
}
