/**
 * Pooling one image's C x h x w feature map (channel-major, as the ONNX `features` output
 * lays it out) into a C-vector. Pure functions; the result is not normalised (the encoder
 * L2-normalises), so 'gap' equals the model's own `embedding` output.
 */
import { invalidParameter } from '../errors.js';
import type { PoolingPolicy } from './recipe.js';

/** GeM's default exponent (Radenović et al. 2018, fixed-p setting). */
export const DEFAULT_GEM_P = 3;
/** R-MAC's default number of scales (Tolias et al. 2016). */
export const DEFAULT_RMAC_LEVELS = 3;
const GEM_EPS = 1e-6;
const RMAC_EPS = 1e-6;

export function pool(features: Float32Array, c: number, h: number, w: number, policy: PoolingPolicy): Float32Array {
  if (!Number.isInteger(c) || !Number.isInteger(h) || !Number.isInteger(w) || c < 1 || h < 1 || w < 1) {
    throw invalidParameter('c, h, w', 'positive integers', `${c}, ${h}, ${w}`);
  }
  if (features.length !== c * h * w) throw invalidParameter('features', `${c * h * w} values`, features.length);
  switch (policy.method) {
    case 'gap':
      return averagePool(features, c, h * w);
    case 'gem':
      return gemPool(features, c, h * w, policy.p ?? DEFAULT_GEM_P);
    case 'spoc':
      return sumPool(features, c, h, w, true);
    case 'rmac':
      return rmacPool(features, c, h, w, policy.levels ?? DEFAULT_RMAC_LEVELS);
    default:
      throw invalidParameter('pooling.method', 'one of gap, gem, spoc, rmac', (policy as { method: unknown }).method);
  }
}

export function averagePool(features: Float32Array, c: number, n: number): Float32Array {
  const out = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    let s = 0;
    const base = k * n;
    for (let i = 0; i < n; i++) s += features[base + i]!;
    out[k] = s / n;
  }
  return out;
}

/** Generalised mean: (mean(max(x, eps)^p))^(1/p); p = 1 is GAP, p -> inf tends to max pooling. */
export function gemPool(features: Float32Array, c: number, n: number, p: number): Float32Array {
  if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0) throw invalidParameter('pooling.p', 'a positive number', p);
  const out = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    let s = 0;
    const base = k * n;
    for (let i = 0; i < n; i++) s += Math.pow(Math.max(features[base + i]!, GEM_EPS), p);
    out[k] = Math.pow(s / n, 1 / p);
  }
  return out;
}

/**
 * SPoC (Babenko & Lempitsky 2015): sum pooling, optionally weighted by a Gaussian centre
 * prior whose sigma is a third of the distance from the centre to the nearest border.
 */
export function sumPool(features: Float32Array, c: number, h: number, w: number, centrePrior: boolean): Float32Array {
  const n = h * w;
  const weights = new Float64Array(n).fill(1);
  if (centrePrior) {
    const cy = (h - 1) / 2;
    const cx = (w - 1) / 2;
    // Distance to the nearest border in cell units; a 1-cell map has no spatial prior to give.
    const sigma = Math.max(Math.min(h, w) / 2, 0.5) / 3;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        weights[y * w + x] = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * sigma * sigma));
      }
    }
  }
  const out = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    let s = 0;
    const base = k * n;
    for (let i = 0; i < n; i++) s += weights[i]! * features[base + i]!;
    out[k] = s;
  }
  return out;
}

export interface Region {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * The standard R-MAC grid, as in Radenović's cirtorch `rmac`: the whole map, then for
 * l = 1..L square regions of side floor(2 min(h,w) / (l+1)), l (+ extra) per dimension,
 * with the number of extra regions along the longer side chosen for ~40 % overlap.
 */
export function rmacRegions(h: number, w: number, levels: number): Region[] {
  if (!Number.isInteger(levels) || levels < 1 || levels > 10) {
    throw invalidParameter('pooling.levels', 'an integer between 1 and 10', levels);
  }
  const overlap = 0.4;
  const short = Math.min(h, w);
  const long = Math.max(h, w);
  let best = 0;
  let bestErr = Infinity;
  for (let i = 0; i < 6; i++) {
    const steps = i + 2;
    const b = (long - short) / (steps - 1);
    const err = Math.abs((short * short - short * b) / (short * short) - overlap);
    if (err < bestErr) {
      bestErr = err;
      best = i;
    }
  }
  const extraW = h < w ? best + 1 : 0;
  const extraH = h > w ? best + 1 : 0;
  const regions: Region[] = [{ top: 0, left: 0, height: h, width: w }];
  for (let l = 1; l <= levels; l++) {
    const side = Math.floor((2 * short) / (l + 1));
    if (side === 0) continue;
    const half = Math.floor(side / 2 - 1);
    const starts = (count: number, extent: number): number[] => {
      const step = count === 1 ? 0 : (extent - side) / (count - 1);
      return Array.from({ length: count }, (_, i) => Math.floor(half + i * step) - half);
    };
    for (const top of starts(l + extraH, h)) {
      for (const left of starts(l + extraW, w)) regions.push({ top, left, height: side, width: side });
    }
  }
  return regions;
}

/** Max-pool every R-MAC region, L2-normalise each regional vector, sum them. */
export function rmacPool(features: Float32Array, c: number, h: number, w: number, levels: number): Float32Array {
  const out = new Float32Array(c);
  const regional = new Float32Array(c);
  for (const r of rmacRegions(h, w, levels)) {
    let norm = 0;
    for (let k = 0; k < c; k++) {
      let m = -Infinity;
      const base = k * h * w;
      for (let y = r.top; y < r.top + r.height; y++) {
        const row = base + y * w;
        for (let x = r.left; x < r.left + r.width; x++) m = Math.max(m, features[row + x]!);
      }
      regional[k] = m;
      norm += m * m;
    }
    const inv = 1 / (Math.sqrt(norm) + RMAC_EPS);
    for (let k = 0; k < c; k++) out[k] += regional[k]! * inv;
  }
  return out;
}

/** In-place L2 normalisation; an all-zero vector stays zero. */
export function l2normalizeInPlace(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
  }
  return v;
}
