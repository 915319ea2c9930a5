/**
 * Structural similarity, as published:
 *  - SSIM: Wang, Bovik, Sheikh, Simoncelli 2004, and their reference `ssim.m`: 11x11 Gaussian
 *    window (sigma 1.5, normalised), K1 = 0.01, K2 = 0.03, L = 255, local statistics over the
 *    'valid' region only (no padding), the score is the mean of the SSIM map.
 *  - MS-SSIM: Wang, Simoncelli, Bovik 2003, and `msssim.m`: 5 scales, exponents
 *    0.0448 0.2856 0.3001 0.2363 0.1333, contrast-structure at every scale, luminance at the
 *    coarsest only, 2x2 average low-pass + downsample between scales.
 *
 * Hand-written rather than `ssim.js`: its default variant ('weber') is a different, faster
 * approximation (integral-image box windows), and its Matlab-faithful 'original' variant works on
 * number[] matrices and recomputes both images' statistics for every pair. Here the query's local
 * statistics are computed once and reused against every candidate. The test suite uses
 * ssim.js `{ ssim: 'original', downsample: false }` as the reference implementation.
 *
 * Departures, both only where the reference would fail outright:
 *  - at an MS-SSIM scale smaller than the 11 px window (the 4th and 5th scales of a 128 px image;
 *    the reference needs >= 176 px), the window shrinks to the largest odd size that fits, with
 *    sigma scaled alike;
 *  - a negative contrast-structure term is clamped to 0 before its fractional power (as
 *    TensorFlow and pytorch-msssim do), where the reference would return a complex number.
 */
import { invalidParameter } from '../errors.js';
import type { GreyImage } from './grey.js';

export const SSIM_WINDOW = 11;
export const SSIM_SIGMA = 1.5;
const K1 = 0.01;
const K2 = 0.03;
const L = 255;
const C1 = (K1 * L) ** 2;
const C2 = (K2 * L) ** 2;
export const MS_SSIM_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333] as const;

/** Normalised 1-D Gaussian; the 2-D window is its outer product (fspecial('gaussian') is separable). */
export function gaussianKernel(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    sum += k[i]!;
  }
  for (let i = 0; i < size; i++) k[i]! /= sum;
  return k;
}

interface Plane {
  data: Float64Array;
  width: number;
  height: number;
}

/** Separable 'valid' filtering: output (w-k+1) x (h-k+1). */
function filterValid(src: Float64Array, w: number, h: number, kernel: Float64Array, tmp: Float64Array): Plane {
  const k = kernel.length;
  const ow = w - k + 1;
  const oh = h - k + 1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += kernel[i]! * src[row + x + i]!;
      tmp[y * ow + x] = s;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += kernel[i]! * tmp[(y + i) * ow + x]!;
      out[y * ow + x] = s;
    }
  }
  return { data: out, width: ow, height: oh };
}

/** One scale of one image: its pixels and the local statistics that do not depend on the other image. */
export interface ScaleStats {
  pixels: Float64Array;
  width: number;
  height: number;
  kernel: Float64Array;
  mu: Float64Array;
  /** Local variance (E[x^2] - mu^2). */
  variance: Float64Array;
}

function kernelFor(width: number, height: number): Float64Array {
  const side = Math.min(width, height);
  if (side >= SSIM_WINDOW) return gaussianKernel(SSIM_WINDOW, SSIM_SIGMA);
  const size = side % 2 === 1 ? side : side - 1;
  return gaussianKernel(size, (SSIM_SIGMA * size) / SSIM_WINDOW);
}

function scaleStats(pixels: Float64Array, width: number, height: number, tmp: Float64Array): ScaleStats {
  const kernel = kernelFor(width, height);
  const mu = filterValid(pixels, width, height, kernel, tmp).data;
  const sq = new Float64Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) sq[i] = pixels[i]! * pixels[i]!;
  const ex2 = filterValid(sq, width, height, kernel, tmp).data;
  const variance = new Float64Array(mu.length);
  for (let i = 0; i < mu.length; i++) variance[i] = ex2[i]! - mu[i]! * mu[i]!;
  return { pixels, width, height, kernel, mu, variance };
}

/** msssim.m's filter2(ones(2)/4, img, 'same') with symmetric border, then every 2nd pixel. */
function downsample(p: Float64Array, w: number, h: number): { data: Float64Array; width: number; height: number } {
  const ow = Math.ceil(w / 2);
  const oh = Math.ceil(h / 2);
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    const y0 = 2 * y;
    const y1 = Math.min(y0 + 1, h - 1);
    for (let x = 0; x < ow; x++) {
      const x0 = 2 * x;
      const x1 = Math.min(x0 + 1, w - 1);
      out[y * ow + x] = (p[y0 * w + x0]! + p[y0 * w + x1]! + p[y1 * w + x0]! + p[y1 * w + x1]!) / 4;
    }
  }
  return { data: out, width: ow, height: oh };
}

function checkGrey(name: string, g: GreyImage): void {
  const ok = typeof g === 'object' && g !== null && Number.isInteger(g.width) && Number.isInteger(g.height) &&
    g.width > 0 && g.height > 0 && g.data?.length === g.width * g.height;
  if (!ok) throw invalidParameter(name, 'a greyscale image with data of length width * height', g);
}

export type SsimMethod = 'ssim' | 'ms-ssim';

/** Opaque: an image's per-scale statistics, from `SsimQuery.prepare`. */
export interface PreparedImage {
  readonly method: SsimMethod;
  readonly width: number;
  readonly height: number;
  readonly scales: readonly ScaleStats[];
  /** Memory held, for caches with a byte budget. */
  readonly bytes: number;
}

/**
 * A query image prepared once (its local means and variances at every scale), compared
 * against many candidates of the same size.
 */
export class SsimQuery {
  readonly method: SsimMethod;
  readonly width: number;
  readonly height: number;
  private readonly scales: ScaleStats[];
  private readonly tmp: Float64Array;

  constructor(query: GreyImage, method: SsimMethod = 'ssim') {
    checkGrey('query', query);
    const levels = method === 'ms-ssim' ? MS_SSIM_WEIGHTS.length : 1;
    const minSide = method === 'ms-ssim' ? 2 ** (levels - 1) * 3 : SSIM_WINDOW;
    if (Math.min(query.width, query.height) < minSide) {
      throw invalidParameter('query', `an image of at least ${minSide} x ${minSide} pixels for ${method}`, `${query.width} x ${query.height}`);
    }
    this.method = method;
    this.width = query.width;
    this.height = query.height;
    this.tmp = new Float64Array(query.width * query.height);
    this.scales = this.pyramid(query, levels);
  }

  private pyramid(img: GreyImage, levels: number): ScaleStats[] {
    let p: { data: Float64Array; width: number; height: number } = { data: Float64Array.from(img.data), width: img.width, height: img.height };
    const out: ScaleStats[] = [];
    for (let l = 0; l < levels; l++) {
      if (l > 0) p = downsample(p.data, p.width, p.height);
      out.push(scaleStats(p.data, p.width, p.height, this.tmp));
    }
    return out;
  }

  /**
   * A candidate's own local statistics, reusable against any query of the same size and method:
   * re-rankers cache them, leaving one filtered product per pair.
   */
  prepare(other: GreyImage): PreparedImage {
    checkGrey('other', other);
    if (other.width !== this.width || other.height !== this.height) {
      throw invalidParameter('other', `an image of ${this.width} x ${this.height} pixels`, `${other.width} x ${other.height}`);
    }
    const scales = this.pyramid(other, this.scales.length);
    return { method: this.method, width: this.width, height: this.height, scales, bytes: scales.reduce((s, x) => s + 8 * (x.pixels.length + 2 * x.mu.length), 0) };
  }

  /** SSIM (or MS-SSIM) between the query and `other`; 1 for identical images. */
  score(other: GreyImage | PreparedImage): number {
    const theirs = 'scales' in other ? this.checkPrepared(other) : this.prepare(other).scales;
    if (this.method === 'ssim') return this.compare(this.scales[0]!, theirs[0]!).ssim;
    let result = 1;
    for (let l = 0; l < this.scales.length; l++) {
      const { ssim, cs } = this.compare(this.scales[l]!, theirs[l]!);
      const term = l === this.scales.length - 1 ? ssim : cs;
      result *= Math.max(term, 0) ** MS_SSIM_WEIGHTS[l]!;
    }
    return result;
  }

  private checkPrepared(p: PreparedImage): readonly ScaleStats[] {
    if (p.method !== this.method || p.width !== this.width || p.height !== this.height) {
      throw invalidParameter('other', `an image prepared for ${this.method} at ${this.width} x ${this.height}`, `${p.method} at ${p.width} x ${p.height}`);
    }
    return p.scales;
  }

  /** Mean SSIM and mean contrast-structure over the valid map of one scale. */
  private compare(a: ScaleStats, b: ScaleStats): { ssim: number; cs: number } {
    const n = a.pixels.length;
    const prod = new Float64Array(n);
    for (let i = 0; i < n; i++) prod[i] = a.pixels[i]! * b.pixels[i]!;
    const exy = filterValid(prod, a.width, a.height, a.kernel, this.tmp).data;
    let sumSsim = 0;
    let sumCs = 0;
    for (let i = 0; i < exy.length; i++) {
      const ma = a.mu[i]!;
      const mb = b.mu[i]!;
      const cov = exy[i]! - ma * mb;
      const cs = (2 * cov + C2) / (a.variance[i]! + b.variance[i]! + C2);
      sumCs += cs;
      sumSsim += ((2 * ma * mb + C1) / (ma * ma + mb * mb + C1)) * cs;
    }
    return { ssim: sumSsim / exy.length, cs: sumCs / exy.length };
  }
}

/** SSIM of two greyscale images of the same size (Wang et al. 2004). */
export function ssim(a: GreyImage, b: GreyImage): number {
  return new SsimQuery(a, 'ssim').score(b);
}

/** Multi-scale SSIM of two greyscale images of the same size (Wang et al. 2003). */
export function msSsim(a: GreyImage, b: GreyImage): number {
  return new SsimQuery(a, 'ms-ssim').score(b);
}
