/**
 * Decoding: any supported file or buffer -> 8-bit sRGB RGB pixels, orientation applied.
 *
 * Pipeline (sharp / libvips), in this order:
 *   1. read the header only (`metadata()`) and refuse more than `maxPixels` pixels, so a
 *      decompression bomb is rejected before a single pixel buffer is allocated;
 *   2. decode the first page/frame with `failOn: 'truncated'`, so a cut-off file is an error
 *      instead of an image padded with grey;
 *   3. apply the EXIF orientation;
 *   4. if `maxSide` is set, shrink (never enlarge) so the longer side is at most `maxSide`,
 *      Lanczos-3 (sharp's default), letting JPEG/WebP shrink-on-load do most of the work;
 *   5. flatten any alpha onto white, convert to sRGB through the embedded ICC profile (or
 *      libvips' built-in CMYK profile), 8 bits per channel, 3 channels.
 */
import { readFile } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { SimiliError, invalidParameter } from '../errors.js';

/** Pixel limit guarding against decompression bombs (width * height of the input). */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface DecodeOptions {
  /** Refuse inputs with more pixels than this (CLI: --max-pixels). */
  maxPixels?: number;
  /**
   * Shrink while decoding so the longer side is at most this many pixels (never enlarges).
   * Lets JPEG shrink-on-load do most of the work when the encoder needs only ~300 px.
   */
  maxSide?: number;
}

/** Interleaved 8-bit sRGB, 3 channels, row-major, EXIF orientation already applied. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

export interface DecodedImage extends RgbImage {
  /** Container format as sharp names it: jpeg, png, webp, gif, tiff, heif (AVIF), ... */
  format: string;
  /** Size of the original image after orientation, before any maxSide shrink. */
  originalWidth: number;
  originalHeight: number;
}

export type ResizeFit = 'fill' | 'cover' | 'inside';
const RESIZE_FITS: readonly ResizeFit[] = ['fill', 'cover', 'inside'];

/** Largest side accepted by resizeRgb and maxSide: libvips' own limit. */
const MAX_DIMENSION = 0x3fff * 16;

/** Alpha is composited onto white: transparent backgrounds of logos/product shots are white. */
const FLATTEN_BACKGROUND = { r: 255, g: 255, b: 255 };

/**
 * Decode a file path or an in-memory buffer. Throws SimiliError with code
 * EMPTY_FILE, UNSUPPORTED_FORMAT, CORRUPT_IMAGE, TOO_MANY_PIXELS, NOT_FOUND or READ_ERROR.
 */
export async function decodeImage(input: string | Buffer, options: DecodeOptions = {}): Promise<DecodedImage> {
  if (!(typeof input === 'string' && input.length > 0) && !Buffer.isBuffer(input)) {
    throw invalidParameter('input', 'a file path or a Buffer', input);
  }
  if (typeof options !== 'object' || options === null) {
    throw invalidParameter('options', 'an object', options);
  }
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) {
    throw invalidParameter('maxPixels', 'a positive integer', options.maxPixels);
  }
  const maxSide = options.maxSide;
  if (maxSide !== undefined && (!Number.isInteger(maxSide) || maxSide < 1 || maxSide > MAX_DIMENSION)) {
    throw invalidParameter('maxSide', `an integer between 1 and ${MAX_DIMENSION}`, maxSide);
  }

  const bytes = typeof input === 'string' ? await readInput(input) : input;
  if (bytes.length === 0) throw new SimiliError('EMPTY_FILE', 'Empty file (0 bytes)');

  const meta = await readHeader(bytes);
  const { width, height } = meta.autoOrient;
  if (!(width > 0 && height > 0)) throw new SimiliError('CORRUPT_IMAGE', 'Corrupt image: no dimensions in header');
  if (width * height > maxPixels) throw tooManyPixels(width, height, maxPixels);
  if (meta.format === 'heif' && meta.compression !== undefined && meta.compression !== 'av1') {
    // The prebuilt libheif decodes AV1 (AVIF) only; HEIC (HEVC) needs a custom libvips.
    throw new SimiliError('UNSUPPORTED_FORMAT', `Unsupported format: heif/${meta.compression} (only AVIF is decoded)`);
  }

  let pipeline = sharp(bytes, {
    failOn: 'truncated',
    // Second line of defence: the header check above already covers the same limit.
    limitInputPixels: maxPixels,
    autoOrient: true,
  });
  if (maxSide !== undefined) {
    pipeline = pipeline.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true });
  }
  pipeline = pipeline.flatten({ background: FLATTEN_BACKGROUND }).toColourspace('srgb').removeAlpha();

  try {
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new SimiliError('UNSUPPORTED_FORMAT', `Unsupported format: ${info.channels} channels after sRGB conversion`);
    }
    return {
      data,
      width: info.width,
      height: info.height,
      format: meta.format,
      originalWidth: width,
      originalHeight: height,
    };
  } catch (err) {
    throw classifySharpError(err, width, height, maxPixels);
  }
}

/**
 * Resize raw RGB to an encoder's exact input size (sharp, Lanczos-3).
 * fill: exactly width x height, aspect not kept; cover: scale to cover, centre crop;
 * inside: largest size fitting in width x height, aspect kept (may enlarge).
 */
export async function resizeRgb(img: RgbImage, width: number, height: number, fit: ResizeFit): Promise<RgbImage> {
  checkRgbImage('img', img);
  if (!Number.isInteger(width) || width < 1 || width > MAX_DIMENSION) {
    throw invalidParameter('width', `an integer between 1 and ${MAX_DIMENSION}`, width);
  }
  if (!Number.isInteger(height) || height < 1 || height > MAX_DIMENSION) {
    throw invalidParameter('height', `an integer between 1 and ${MAX_DIMENSION}`, height);
  }
  if (!RESIZE_FITS.includes(fit)) throw invalidParameter('fit', `one of ${RESIZE_FITS.join(', ')}`, fit);
  if (img.width === width && img.height === height) {
    return { data: Buffer.from(img.data), width, height };
  }
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({ width, height, fit, position: 'centre' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Horizontal mirror (flip augmentation); returns a new image. */
export function flipRgb(img: RgbImage): RgbImage {
  checkRgbImage('img', img);
  const { width, height, data } = img;
  const out = Buffer.allocUnsafe(data.length);
  const stride = width * 3;
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    for (let x = 0; x < width; x++) {
      const src = row + x * 3;
      const dst = row + (width - 1 - x) * 3;
      out[dst] = data[src];
      out[dst + 1] = data[src + 1];
      out[dst + 2] = data[src + 2];
    }
  }
  return { data: out, width, height };
}

/** Throws the uniform parameter error unless `img` is a well-formed 8-bit RGB image. */
export function checkRgbImage(name: string, img: RgbImage): void {
  const ok =
    typeof img === 'object' &&
    img !== null &&
    Buffer.isBuffer(img.data) &&
    Number.isInteger(img.width) &&
    Number.isInteger(img.height) &&
    img.width > 0 &&
    img.height > 0 &&
    img.data.length === img.width * img.height * 3;
  if (!ok) throw invalidParameter(name, 'an RGB image with data of length width * height * 3', img);
}

async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SimiliError('NOT_FOUND', `File not found: ${file}`, { cause: err });
    if (code === 'EISDIR') throw new SimiliError('READ_ERROR', `Not a file: ${file}`, { cause: err });
    if (code === 'EACCES' || code === 'EPERM') {
      throw new SimiliError('READ_ERROR', `Permission denied: ${file}`, { cause: err });
    }
    throw new SimiliError('READ_ERROR', `Cannot read ${file}: ${code ?? 'unknown error'}`, { cause: err });
  }
}

/** Header only: format and declared size, without decoding (or allocating) pixels. */
async function readHeader(bytes: Buffer): Promise<Metadata> {
  try {
    // No pixel limit here: we want the declared size so we can report it ourselves.
    return await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw classifySharpError(err, 0, 0, 0);
  }
}

function tooManyPixels(width: number, height: number, maxPixels: number): SimiliError {
  return new SimiliError(
    'TOO_MANY_PIXELS',
    `Image too large: ${width}x${height} exceeds the limit of ${maxPixels} pixels`,
  );
}

/** Map libvips' messages onto error codes; keep only the first, cleaned-up line of detail. */
function classifySharpError(err: unknown, width: number, height: number, maxPixels: number): SimiliError {
  if (err instanceof SimiliError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  if (/unsupported image format/i.test(raw)) {
    return new SimiliError('UNSUPPORTED_FORMAT', 'Unsupported format: not an image sharp can decode', { cause: err });
  }
  if (/pixel limit/i.test(raw)) {
    return width > 0 ? tooManyPixels(width, height, maxPixels) : new SimiliError('TOO_MANY_PIXELS', 'Image too large', { cause: err });
  }
  if (/unsupported (codec|feature)|no decoder|not supported/i.test(raw)) {
    return new SimiliError('UNSUPPORTED_FORMAT', `Unsupported format: ${shortDetail(raw)}`, { cause: err });
  }
  return new SimiliError('CORRUPT_IMAGE', `Corrupt image: ${shortDetail(raw)}`, { cause: err });
}

function shortDetail(message: string): string {
  const first = message.split('\n').find((line) => line.trim().length > 0) ?? 'unknown decoder error';
  const cleaned = first
    .replace(/^Input (buffer|file) has corrupt header:\s*/i, '')
    .replace(/^(vips\w*|VipsJpeg|VipsForeign\w*|heif\w*|tiff\w*|gifload|webp\w*):\s*/i, '')
    .trim();
  return cleaned.length > 120 ? `${cleaned.slice(0, 117)}...` : cleaned;
}
