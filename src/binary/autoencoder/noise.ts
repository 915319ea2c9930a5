/** Input corruption for denoising training. */
import { gaussian } from '../../random.js';

export type NoiseKind = 'gaussian' | 'mask';

export interface NoiseOptions {
  /** gaussian: add N(0, level^2) per value; mask: zero each pixel (all 3 channels) with probability level. */
  kind: NoiseKind;
  level: number;
}

/** A corrupted copy of a [3][B][S][S] tensor. */
export function corrupt(clean: Float32Array, batch: number, size: number, noise: NoiseOptions, random: () => number): Float32Array {
  const out = Float32Array.from(clean);
  if (noise.level <= 0) return out;
  if (noise.kind === 'gaussian') {
    const g = gaussian(random);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + noise.level * g();
    return out;
  }
  const plane = batch * size * size;
  for (let i = 0; i < plane; i++) {
    if (random() < noise.level) {
      out[i] = 0;
      out[plane + i] = 0;
      out[2 * plane + i] = 0;
    }
  }
  return out;
}
