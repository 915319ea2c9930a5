/**
 * The small greyscale copy SSIM compares: luminance Y (ITU-R BT.601, on the 8-bit sRGB values,
 * as Wang's reference `rgb2gray` does) of a centre-cropped square, GREY_SIDE x GREY_SIDE.
 *
 * Aspect: centre crop, not letterbox. SSIM compares pixel-aligned local structure, so the padding
 * bands of two letterboxed images would match each other perfectly and inflate the score of any
 * two images sharing an aspect ratio; a crop loses the borders but compares content with content.
 * Not squash either: stretching changes the very edges and textures SSIM measures.
 *
 * 128 px because MS-SSIM needs 5 dyadic scales; plain SSIM runs on the 64 px 2x2 box average.
 */
import sharp from 'sharp';
import type { RgbImage } from '../decode/decode.js';
import { invalidParameter } from '../errors.js';

export const GREY_SIDE = 128;
/** Side-data kind; bump the version when the format (side, crop, weights) changes. */
export const GREY_KIND = 'grey128-v1';

/** Row-major 8-bit luminance. */
export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** BT.601 luma in 16.16 fixed point, rounded: exact for R = G = B. */
export function rgbToLuma(rgb: Uint8Array, pixels: number): Uint8Array {
  if (rgb.length !== pixels * 3) throw invalidParameter('rgb', `${pixels * 3} bytes`, rgb.length);
  const out = new Uint8Array(pixels);
  for (let i = 0, j = 0; i < pixels; i++, j += 3) {
    out[i] = (19595 * rgb[j]! + 38470 * rgb[j + 1]! + 7471 * rgb[j + 2]! + 32768) >>> 16;
  }
  return out;
}

/** Decoded RGB -> GREY_SIDE x GREY_SIDE centre-cropped luminance. */
export async function greyThumbnail(img: RgbImage, side: number = GREY_SIDE): Promise<GreyImage> {
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({ width: side, height: side, fit: 'cover', position: 'centre' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: rgbToLuma(data, info.width * info.height), width: info.width, height: info.height };
}

/** Stored form: the raw GREY_SIDE^2 bytes (the side is implied by the kind). */
export function greyToBuffer(g: GreyImage): Buffer {
  return Buffer.from(g.data.buffer, g.data.byteOffset, g.data.byteLength);
}

export function greyFromBuffer(buf: Buffer): GreyImage | null {
  if (buf.length !== GREY_SIDE * GREY_SIDE) return null;
  return { data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), width: GREY_SIDE, height: GREY_SIDE };
}

/** Halve each side by 2x2 box averaging (Wang's MS-SSIM low-pass + downsample). */
export function halve(g: GreyImage): GreyImage {
  const w = g.width >> 1;
  const h = g.height >> 1;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const r0 = 2 * y * g.width;
    const r1 = r0 + g.width;
    for (let x = 0; x < w; x++) {
      const c = 2 * x;
      out[y * w + x] = (g.data[r0 + c]! + g.data[r0 + c + 1]! + g.data[r1 + c]! + g.data[r1 + c + 1]! + 2) >> 2;
    }
  }
  return { data: out, width: w, height: h };
}
