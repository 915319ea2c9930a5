/**
 * Images -> the autoencoder's input: a centred square crop, box-filtered down to S x S,
 * as 8-bit interleaved RGB (3 KB per 32x32, 12 KB per 64x64: the whole training set of
 * a 100k-image collection fits in memory this way).
 */
import type { RgbImage } from '../../decode/decode.js';
import { invalidParameter } from '../../errors.js';
import { integerInRange } from '../../validate.js';

/** Centre square crop, area-averaged to size x size (nearest sampling when enlarging). */
export function rgbToThumbnail(image: RgbImage, size: number, out?: Uint8Array, outOffset = 0): Uint8Array {
  integerInRange('size', size, 1, 4096);
  const { data, width, height } = image;
  if (data.length < width * height * 3 || width < 1 || height < 1) {
    throw invalidParameter('image', `RGB data of ${width}x${height}x3 bytes`, data.length);
  }
  const side = Math.min(width, height);
  const x0 = Math.floor((width - side) / 2), y0 = Math.floor((height - side) / 2);
  const dst = out ?? new Uint8Array(size * size * 3);
  const scale = side / size;
  for (let oy = 0; oy < size; oy++) {
    const sy0 = y0 + Math.floor(oy * scale);
    const sy1 = Math.max(sy0 + 1, y0 + Math.floor((oy + 1) * scale));
    for (let ox = 0; ox < size; ox++) {
      const sx0 = x0 + Math.floor(ox * scale);
      const sx1 = Math.max(sx0 + 1, x0 + Math.floor((ox + 1) * scale));
      let r = 0, g = 0, b = 0;
      for (let y = sy0; y < sy1; y++) {
        let o = (y * width + sx0) * 3;
        for (let x = sx0; x < sx1; x++, o += 3) {
          r += data[o]!;
          g += data[o + 1]!;
          b += data[o + 2]!;
        }
      }
      const n = (sy1 - sy0) * (sx1 - sx0);
      const d = outOffset + (oy * size + ox) * 3;
      dst[d] = Math.round(r / n);
      dst[d + 1] = Math.round(g / n);
      dst[d + 2] = Math.round(b / n);
    }
  }
  return dst;
}

/**
 * Gather thumbnails `indices` of a packed [N][S][S][3] byte array into the network's
 * [3][B][S][S] float layout, values in [0, 1].
 */
export function thumbnailsToTensor(thumbs: Uint8Array, size: number, indices: ArrayLike<number>, out?: Float32Array): Float32Array {
  const plane = size * size;
  const batch = indices.length;
  const t = out ?? new Float32Array(3 * batch * plane);
  for (let b = 0; b < batch; b++) {
    const src = indices[b]! * plane * 3;
    for (let i = 0; i < plane; i++) {
      const s = src + i * 3;
      t[b * plane + i] = thumbs[s]! / 255;
      t[(batch + b) * plane + i] = thumbs[s + 1]! / 255;
      t[(2 * batch + b) * plane + i] = thumbs[s + 2]! / 255;
    }
  }
  return t;
}

/** Image b of a [3][B][S][S] float tensor back to interleaved 8-bit RGB. */
export function tensorImageToRgb(t: Float32Array, size: number, batch: number, b: number): Uint8Array {
  const plane = size * size;
  const out = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const o = (c * batch + b) * plane;
    for (let i = 0; i < plane; i++) out[i * 3 + c] = Math.max(0, Math.min(255, Math.round(t[o + i]! * 255)));
  }
  return out;
}
