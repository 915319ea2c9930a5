/**
 * Exact CNN input preprocessing, stated the way transformers.js utils/image states it:
 *
 *   center-crop, size S:  R = round(S * 256 / 224); resize (Lanczos-3, sharp) so the shorter
 *                         side is R and the longer side round(long * R / short); crop S x S at
 *                         left = floor((W - S) / 2), top = floor((H - S) / 2).
 *   keep-aspect, size S:  resize so the shorter side is S, unless that makes the longer side
 *                         exceed S * KEEP_ASPECT_MAX_RATIO, in which case the longer side is
 *                         that cap (aspect kept, shorter side below S); no crop.
 *   then, per channel c:  x = (v / 255 - mean[c]) / std[c], written HWC uint8 -> NCHW float32.
 */
import { resizeRgb, type RgbImage } from '../decode/decode.js';
import { invalidParameter } from '../errors.js';
import type { Normalisation } from './manifest.js';
import type { ResizePolicy } from './recipe.js';

/** ImageNet evaluation convention: resize to 256 for a 224 crop. */
export const CENTER_CROP_RATIO = 256 / 224;
/** keep-aspect caps panoramas so one image cannot blow up inference time. */
export const KEEP_ASPECT_MAX_RATIO = 2;

export interface Geometry {
  /** Size after resizing. */
  resizeWidth: number;
  resizeHeight: number;
  /** Window kept after resizing (the whole image for keep-aspect). */
  left: number;
  top: number;
  width: number;
  height: number;
}

export function inputGeometry(width: number, height: number, resize: ResizePolicy, size: number): Geometry {
  if (!Number.isInteger(size) || size < 1) throw invalidParameter('size', 'a positive integer', size);
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  if (resize === 'center-crop') {
    const target = Math.round(size * CENTER_CROP_RATIO);
    // Never below the crop, which rounding of a very elongated image could otherwise cause.
    const other = Math.max(target, Math.round((long * target) / short));
    const resizeWidth = width <= height ? target : other;
    const resizeHeight = width <= height ? other : target;
    return {
      resizeWidth,
      resizeHeight,
      left: Math.floor((resizeWidth - size) / 2),
      top: Math.floor((resizeHeight - size) / 2),
      width: size,
      height: size,
    };
  }
  const cap = Math.round(size * KEEP_ASPECT_MAX_RATIO);
  const scale = Math.min(size / short, cap / long);
  const resizeWidth = Math.max(1, Math.round(width * scale));
  const resizeHeight = Math.max(1, Math.round(height * scale));
  return { resizeWidth, resizeHeight, left: 0, top: 0, width: resizeWidth, height: resizeHeight };
}

/** Largest side any input policy reads at this size: lets the decoder shrink on load. */
export function maxInputSide(resize: ResizePolicy, size: number): number {
  return resize === 'center-crop'
    ? Math.ceil(size * CENTER_CROP_RATIO * KEEP_ASPECT_MAX_RATIO)
    : Math.round(size * KEEP_ASPECT_MAX_RATIO);
}

/** Resize and crop one image to the network input, still 8-bit RGB. */
export async function prepareImage(img: RgbImage, resize: ResizePolicy, size: number): Promise<RgbImage> {
  const g = inputGeometry(img.width, img.height, resize, size);
  const resized = await resizeRgb(img, g.resizeWidth, g.resizeHeight, 'fill');
  return g.width === g.resizeWidth && g.height === g.resizeHeight ? resized : cropRgb(resized, g.left, g.top, g.width, g.height);
}

export function cropRgb(img: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (left < 0 || top < 0 || left + width > img.width || top + height > img.height) {
    throw invalidParameter('crop', `a window inside ${img.width}x${img.height}`, `${width}x${height}+${left}+${top}`);
  }
  const out = Buffer.allocUnsafe(width * height * 3);
  const rowBytes = width * 3;
  for (let y = 0; y < height; y++) {
    const src = ((top + y) * img.width + left) * 3;
    img.data.copy(out, y * rowBytes, src, src + rowBytes);
  }
  return { data: out, width, height };
}

/**
 * 256-entry table per channel: exactly (v / 255 - mean) / std rounded once to float32,
 * and a lookup is cheaper than the arithmetic per pixel.
 */
export function normalisationTable(norm: Normalisation): Float32Array[] {
  return [0, 1, 2].map((c) => {
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = (v / 255 - norm.mean[c]!) / norm.std[c]!;
    return table;
  });
}

/**
 * Write one prepared image as the `index`-th item of an NCHW float32 batch `out`
 * (length >= (index + 1) * 3 * H * W), so a batch is filled without intermediate copies.
 */
export function writeNchw(img: RgbImage, tables: Float32Array[], out: Float32Array, index: number): void {
  const plane = img.width * img.height;
  const base = index * 3 * plane;
  if (out.length < base + 3 * plane) throw invalidParameter('out', `a Float32Array of at least ${base + 3 * plane} values`, out.length);
  const [r, g, b] = tables as [Float32Array, Float32Array, Float32Array];
  const data = img.data;
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    out[base + i] = r[data[p]!]!;
    out[base + plane + i] = g[data[p + 1]!]!;
    out[base + 2 * plane + i] = b[data[p + 2]!]!;
  }
}

/** A batch tensor's data and dims. All images must have one size (keep-aspect: group first). */
export function toNchw(images: RgbImage[], tables: Float32Array[]): { data: Float32Array; dims: [number, number, number, number] } {
  if (images.length === 0) throw invalidParameter('images', 'a non-empty array', images);
  const { width, height } = images[0]!;
  const data = new Float32Array(images.length * 3 * width * height);
  images.forEach((img, i) => {
    if (img.width !== width || img.height !== height) {
      throw invalidParameter(`images[${i}]`, `a ${width}x${height} image like the rest of the batch`, `${img.width}x${img.height}`);
    }
    writeNchw(img, tables, data, i);
  });
  return { data, dims: [images.length, 3, height, width] };
}

/**
 * Indices of `images` grouped by size, each group cut into runs of at most `batchSize`:
 * only same-size inputs can share a tensor.
 */
export function sizeBatches(images: readonly RgbImage[], batchSize: number): number[][] {
  const groups = new Map<string, number[]>();
  images.forEach((img, i) => {
    const key = `${img.width}x${img.height}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [i]);
    else group.push(i);
  });
  const batches: number[][] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += batchSize) batches.push(group.slice(i, i + batchSize));
  }
  return batches;
}
