import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import zlib from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { decodeImage, resizeRgb, flipRgb, DEFAULT_MAX_PIXELS, type RgbImage } from '../src/decode/decode.js';
import { SimiliError } from '../src/errors.js';
import { tempDir } from './helpers/paths.js';

type Rgb = [number, number, number];
const RED: Rgb = [220, 30, 30];
const BLUE: Rgb = [30, 30, 220];

function pixel(img: RgbImage, x: number, y: number): Rgb {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

function assertNear(actual: Rgb, expected: Rgb, tolerance: number, what: string): void {
  const diff = Math.max(...actual.map((v, i) => Math.abs(v - expected[i])));
  assert.ok(diff <= tolerance, `${what}: got ${actual.join(',')}, expected ~${expected.join(',')} (±${tolerance})`);
}

function solid(width: number, height: number, [r, g, b]: Rgb): Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } });
}

/** width x height blue image with a red `size` x `size` block in the top-left corner. */
function cornerImage(width: number, height: number, size: number): Sharp {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(x < size && y < size ? RED : BLUE, (y * width + x) * 3);
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<SimiliError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SimiliError, `expected SimiliError, got ${String(err)}`);
    assert.equal(err.code, code, `message: ${err.message}`);
    assert.ok(err.message.length > 0 && err.message.length < 200 && !err.message.includes('\n'), `short message: ${err.message}`);
    return err;
  }
  assert.fail(`expected rejection with ${code}`);
}

/** PNG chunk CRC covers type + data. */
function patchPngSize(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  // Signature (8) + IHDR length (4) + 'IHDR' (4), then width and height, big-endian.
  assert.equal(out.toString('latin1', 12, 16), 'IHDR');
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(zlib.crc32(out.subarray(12, 29)), 29);
  return out;
}

describe('decodeImage', () => {
  let dir: string;
  before(() => {
    dir = tempDir('simili-decode-');
    mkdirSync(dir, { recursive: true });
  });

  test('applies EXIF orientation 6: sides swap and the top-left corner moves to the top-right', async () => {
    const file = path.join(dir, 'rotated.jpg');
    await cornerImage(60, 40, 12).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(file);
    assert.equal((await sharp(file).metadata()).orientation, 6);

    const img = await decodeImage(file);
    assert.equal(img.format, 'jpeg');
    assert.deepEqual([img.width, img.height], [40, 60]);
    assert.deepEqual([img.originalWidth, img.originalHeight], [40, 60]);
    assertNear(pixel(img, 40 - 4, 4), RED, 40, 'top-right');
    assertNear(pixel(img, 4, 4), BLUE, 40, 'top-left');
    assertNear(pixel(img, 40 - 4, 60 - 4), BLUE, 40, 'bottom-right');
  });

  test('converts CMYK JPEG to sRGB', async () => {
    const file = path.join(dir, 'cmyk.jpg');
    await solid(32, 24, RED).toColourspace('cmyk').jpeg({ quality: 95 }).toFile(file);
    assert.equal((await sharp(file).metadata()).space, 'cmyk');
    const img = await decodeImage(file);
    assert.equal(img.data.length, 32 * 24 * 3);
    const [r, g, b] = pixel(img, 16, 12);
    // Through an ICC round trip the hue survives, the exact values need not.
    assert.ok(r > 150 && g < 100 && b < 100, `reddish, got ${r},${g},${b}`);
  });

  test('converts 16-bit PNG to 8-bit', async () => {
    const file = path.join(dir, 'deep.png');
    await solid(16, 16, RED).toColourspace('rgb16').png().toFile(file);
    assert.equal((await sharp(file).metadata()).depth, 'ushort');
    const img = await decodeImage(file);
    assert.equal(img.data.length, 16 * 16 * 3);
    assertNear(pixel(img, 8, 8), RED, 2, '16-bit red');
  });

  test('flattens alpha onto white', async () => {
    const file = path.join(dir, 'alpha.png');
    // Left half opaque red, right half fully transparent (colour black, which must not show).
    const rgba = Buffer.alloc(20 * 20 * 4);
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 10; x++) rgba.set([...RED, 255], (y * 20 + x) * 4);
    }
    await sharp(rgba, { raw: { width: 20, height: 20, channels: 4 } }).png().toFile(file);
    const meta = await sharp(file).metadata();
    assert.equal(meta.hasAlpha, true);
    const img = await decodeImage(file);
    assert.equal(img.data.length, 20 * 20 * 3);
    assertNear(pixel(img, 3, 10), RED, 2, 'opaque half');
    assertNear(pixel(img, 16, 10), [255, 255, 255], 2, 'transparent half');
  });

  test('expands greyscale to three equal channels', async () => {
    const file = path.join(dir, 'grey.png');
    await sharp(Buffer.alloc(12 * 12, 90), { raw: { width: 12, height: 12, channels: 1 } }).toColourspace('b-w').png().toFile(file);
    assert.equal((await sharp(file).metadata()).channels, 1);
    const img = await decodeImage(file);
    assert.equal(img.data.length, 12 * 12 * 3);
    const [r, g, b] = pixel(img, 5, 5);
    assert.ok(r === g && g === b && Math.abs(r - 90) <= 2, `grey, got ${r},${g},${b}`);
  });

  for (const [format, name] of [['webp', 'webp'], ['tiff', 'tiff'], ['avif', 'heif'], ['png', 'png']] as const) {
    test(`decodes ${format}`, async () => {
      const file = path.join(dir, `sample.${format}`);
      await cornerImage(48, 32, 16).toFormat(format, { quality: 95 }).toFile(file);
      const img = await decodeImage(file);
      assert.equal(img.format, name);
      assert.deepEqual([img.width, img.height], [48, 32]);
      assertNear(pixel(img, 4, 4), RED, 40, `${format} red corner`);
      assertNear(pixel(img, 40, 26), BLUE, 40, `${format} blue body`);
    });
  }

  test('decodes the first frame of an animated GIF', async () => {
    const frames = await Promise.all([solid(20, 10, RED).png().toBuffer(), solid(20, 10, BLUE).png().toBuffer()]);
    const file = path.join(dir, 'anim.gif');
    await sharp(frames, { join: { animated: true } }).gif().toFile(file);
    assert.equal((await sharp(file).metadata()).pages, 2);
    const img = await decodeImage(file);
    assert.equal(img.format, 'gif');
    assert.deepEqual([img.width, img.height], [20, 10]);
    assertNear(pixel(img, 10, 5), RED, 30, 'first frame');
  });

  test('decodes an in-memory buffer like a file', async () => {
    const buf = await cornerImage(30, 20, 8).png().toBuffer();
    const img = await decodeImage(buf);
    assert.deepEqual([img.width, img.height, img.format], [30, 20, 'png']);
    assertNear(pixel(img, 2, 2), RED, 1, 'corner');
  });

  test('maxSide shrinks the longer side and never enlarges', async () => {
    const file = path.join(dir, 'big.jpg');
    await cornerImage(400, 300, 100).jpeg().toFile(file);
    const small = await decodeImage(file, { maxSide: 100 });
    assert.deepEqual([small.width, small.height], [100, 75]);
    assert.deepEqual([small.originalWidth, small.originalHeight], [400, 300]);
    assert.equal(small.data.length, 100 * 75 * 3);
    assertNear(pixel(small, 5, 5), RED, 40, 'shrunk corner');
    const same = await decodeImage(file, { maxSide: 1000 });
    assert.deepEqual([same.width, same.height], [400, 300]);
  });

  test('maxPixels refuses images over the limit and accepts those at it', async () => {
    const file = path.join(dir, 'limit.png');
    await solid(400, 300, RED).png().toFile(file);
    const err = await rejectsWith(decodeImage(file, { maxPixels: 119_999 }), 'TOO_MANY_PIXELS');
    assert.match(err.message, /400x300/);
    const ok = await decodeImage(file, { maxPixels: 120_000 });
    assert.equal(ok.width, 400);
  });

  test('refuses a PNG whose header declares 100000x100000 before decoding', async () => {
    const small = await solid(8, 8, RED).png().toBuffer();
    const bomb = patchPngSize(small, 100_000, 100_000);
    const meta = await sharp(bomb, { limitInputPixels: false }).metadata();
    assert.deepEqual([meta.width, meta.height], [100_000, 100_000]);
    const file = path.join(dir, 'bomb.png');
    writeFileSync(file, bomb);
    const rssBefore = process.memoryUsage().rss;
    const err = await rejectsWith(decodeImage(file), 'TOO_MANY_PIXELS');
    assert.match(err.message, /100000x100000/);
    // 1e10 RGB pixels would be 30 GB; anything near that means pixels were allocated.
    assert.ok(process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024);
    assert.ok(DEFAULT_MAX_PIXELS < 100_000 * 100_000);
  });

  test('truncated JPEG and PNG are CORRUPT_IMAGE, not grey pixels', async () => {
    // Noise compresses badly, so 60% of the file stops well inside the pixel data.
    let seed = 12345;
    const pixels = Buffer.alloc(200 * 150 * 3);
    for (let i = 0; i < pixels.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      pixels[i] = seed >>> 24;
    }
    const noisy = sharp(pixels, { raw: { width: 200, height: 150, channels: 3 } });
    for (const format of ['jpeg', 'png'] as const) {
      const whole = await noisy.clone().toFormat(format).toBuffer();
      const file = path.join(dir, `truncated.${format}`);
      writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
      await rejectsWith(decodeImage(file), 'CORRUPT_IMAGE');
    }
  });

  test('zero-byte file is EMPTY_FILE', async () => {
    const file = path.join(dir, 'empty.jpg');
    writeFileSync(file, Buffer.alloc(0));
    await rejectsWith(decodeImage(file), 'EMPTY_FILE');
    await rejectsWith(decodeImage(Buffer.alloc(0)), 'EMPTY_FILE');
  });

  test('a text file named .jpg is UNSUPPORTED_FORMAT', async () => {
    const file = path.join(dir, 'notes.jpg');
    writeFileSync(file, 'these are not the pixels you are looking for\n'.repeat(20));
    await rejectsWith(decodeImage(file), 'UNSUPPORTED_FORMAT');
  });

  test('missing file is NOT_FOUND, a directory is READ_ERROR', async () => {
    await rejectsWith(decodeImage(path.join(dir, 'does-not-exist.jpg')), 'NOT_FOUND');
    await rejectsWith(decodeImage(dir), 'READ_ERROR');
  });

  test('rejects invalid parameters with INVALID_PARAMETER', async () => {
    const buf = await solid(4, 4, RED).png().toBuffer();
    await rejectsWith(decodeImage('' as string), 'INVALID_PARAMETER');
    await rejectsWith(decodeImage(42 as unknown as string), 'INVALID_PARAMETER');
    await rejectsWith(decodeImage(buf, { maxPixels: 0 }), 'INVALID_PARAMETER');
    await rejectsWith(decodeImage(buf, { maxPixels: 1.5 }), 'INVALID_PARAMETER');
    await rejectsWith(decodeImage(buf, { maxSide: -1 }), 'INVALID_PARAMETER');
    const err = await rejectsWith(decodeImage(buf, { maxSide: Number.NaN }), 'INVALID_PARAMETER');
    assert.match(err.message, /^Expected .* for maxSide but received NaN$/);
  });
});

describe('resizeRgb and flipRgb', () => {
  async function corner(width: number, height: number): Promise<RgbImage> {
    const { data, info } = await cornerImage(width, height, Math.min(width, height) / 2).raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  }

  test('fill gives the exact size, cover crops, inside keeps the aspect', async () => {
    const img = await corner(80, 40);
    const fill = await resizeRgb(img, 32, 32, 'fill');
    assert.deepEqual([fill.width, fill.height, fill.data.length], [32, 32, 32 * 32 * 3]);
    assertNear(pixel(fill, 2, 2), RED, 30, 'fill keeps the corner');
    const cover = await resizeRgb(img, 32, 32, 'cover');
    assert.deepEqual([cover.width, cover.height], [32, 32]);
    // The centre crop of an 80x40 image drops the left 20 px, so only part of the red block remains.
    assertNear(pixel(cover, 31, 31), BLUE, 30, 'cover body');
    const inside = await resizeRgb(img, 32, 32, 'inside');
    assert.deepEqual([inside.width, inside.height], [32, 16]);
  });

  test('resizeRgb validates its parameters', async () => {
    const img = await corner(8, 8);
    await assert.rejects(resizeRgb(img, 0, 8, 'fill'), { code: 'INVALID_PARAMETER' });
    await assert.rejects(resizeRgb(img, 8, 8, 'contain' as 'fill'), { code: 'INVALID_PARAMETER' });
    await assert.rejects(resizeRgb({ data: Buffer.alloc(5), width: 8, height: 8 }, 4, 4, 'fill'), { code: 'INVALID_PARAMETER' });
  });

  test('flipRgb mirrors horizontally and twice is identity', async () => {
    const img = await corner(30, 20);
    const flipped = flipRgb(img);
    assert.deepEqual([flipped.width, flipped.height], [30, 20]);
    assert.deepEqual(pixel(flipped, 29, 0), pixel(img, 0, 0));
    assert.deepEqual(pixel(flipped, 0, 19), pixel(img, 29, 19));
    assert.notDeepEqual(flipped.data, img.data);
    assert.deepEqual(flipRgb(flipped).data, img.data);
  });
});
