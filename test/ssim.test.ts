import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ssim as referenceSsim } from 'ssim.js';
import { GREY_SIDE, greyFromBuffer, greyThumbnail, greyToBuffer, rgbToLuma, type GreyImage } from '../src/rerank/grey.js';
import { gaussianKernel, msSsim, ssim, SsimQuery, MS_SSIM_WEIGHTS } from '../src/rerank/ssim.js';
import { seededRandom } from '../src/random.js';


function image(w: number, h: number, f: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = Math.max(0, Math.min(255, Math.round(f(x, y))));
  return { data, width: w, height: h };
}

/** A structured test picture: smooth gradient, a disc and a checker patch. */
function picture(w: number, h: number): GreyImage {
  return image(w, h, (x, y) => {
    const disc = (x - w / 2) ** 2 + (y - h / 3) ** 2 < (w / 5) ** 2 ? 80 : 0;
    const checker = x > w * 0.6 && y > h * 0.6 && ((x >> 2) + (y >> 2)) % 2 === 0 ? 60 : 0;
    return 40 + (150 * x) / w + disc + checker - (30 * y) / h;
  });
}

function noisy(g: GreyImage, sigma: number, seed: number): GreyImage {
  const r = seededRandom(seed);
  return image(g.width, g.height, (x, y) => g.data[y * g.width + x]! + sigma * (r() + r() + r() - 1.5) * 2);
}

/** ssim.js, configured to its Matlab-faithful variant with no automatic downsampling. */
function reference(a: GreyImage, b: GreyImage): number {
  const rgba = (g: GreyImage): { data: Uint8ClampedArray; width: number; height: number } => {
    const d = new Uint8ClampedArray(g.width * g.height * 4);
    for (let i = 0; i < g.data.length; i++) d.set([g.data[i]!, g.data[i]!, g.data[i]!, 255], i * 4);
    return { data: d, width: g.width, height: g.height };
  };
  return referenceSsim(rgba(a), rgba(b), { ssim: 'original', downsample: false }).mssim;
}

test('identical images score exactly 1 (SSIM and MS-SSIM)', () => {
  const p = picture(64, 64);
  assert.equal(ssim(p, p), 1);
  assert.ok(Math.abs(msSsim(picture(128, 128), picture(128, 128)) - 1) < 1e-12);
});

test('constant images: SSIM = (2ab + C1) / (a^2 + b^2 + C1), analytically', () => {
  const a = image(32, 32, () => 100);
  const b = image(32, 32, () => 150);
  const c1 = (0.01 * 255) ** 2;
  const expected = (2 * 100 * 150 + c1) / (100 ** 2 + 150 ** 2 + c1);
  assert.ok(Math.abs(ssim(a, b) - expected) < 1e-12, `${ssim(a, b)} vs ${expected}`);
  // MS-SSIM: every contrast-structure term is 1, only the coarsest luminance term remains.
  const a2 = image(128, 128, () => 100);
  const b2 = image(128, 128, () => 150);
  assert.ok(Math.abs(msSsim(a2, b2) - expected ** MS_SSIM_WEIGHTS[4]) < 1e-12);
});

test('Gaussian window: 11 taps, sigma 1.5, sums to 1, symmetric', () => {
  const k = gaussianKernel(11, 1.5);
  assert.equal(k.length, 11);
  assert.ok(Math.abs(k.reduce((s, v) => s + v, 0) - 1) < 1e-12);
  for (let i = 0; i < 11; i++) assert.ok(Math.abs(k[i]! - k[10 - i]!) < 1e-15);
  // Centre tap of the normalised 2-D window = fspecial('gaussian', 11, 1.5)(6,6) = 0.070762 (Matlab: 0.0708).
  assert.ok(Math.abs(k[5]! * k[5]! - 0.070762) < 1e-5);
});

test('matches the reference implementation (ssim.js original = Wang ssim.m) on structured and noisy pairs', () => {
  const p = picture(64, 64);
  const cases: Array<[string, GreyImage, GreyImage]> = [
    ['noise 10', p, noisy(p, 10, 1)],
    ['noise 40', p, noisy(p, 40, 2)],
    ['shifted', p, image(64, 64, (x, y) => p.data[y * 64 + Math.min(63, x + 3)]!)],
    ['inverted', p, image(64, 64, (x, y) => 255 - p.data[y * 64 + x]!)],
    ['random', noisy(image(48, 40, () => 128), 60, 3), noisy(image(48, 40, () => 128), 60, 4)],
  ];
  for (const [name, a, b] of cases) {
    const ours = ssim(a, b);
    const ref = reference(a, b);
    assert.ok(Math.abs(ours - ref) < 1e-9, `${name}: ${ours} vs reference ${ref}`);
  }
});

test('symmetric, bounded, and decreasing with distortion', () => {
  const p = picture(64, 64);
  const light = noisy(p, 8, 5);
  const heavy = noisy(p, 50, 6);
  assert.ok(Math.abs(ssim(p, heavy) - ssim(heavy, p)) < 1e-12);
  assert.ok(Math.abs(msSsim(picture(128, 128), noisy(picture(128, 128), 30, 7)) - msSsim(noisy(picture(128, 128), 30, 7), picture(128, 128))) < 1e-12);
  assert.ok(ssim(p, light) > ssim(p, heavy));
  assert.ok(ssim(p, heavy) <= 1 && ssim(p, heavy) >= -1);
  const big = picture(128, 128);
  const ms1 = msSsim(big, noisy(big, 8, 8));
  const ms2 = msSsim(big, noisy(big, 50, 9));
  assert.ok(ms1 > ms2 && ms1 < 1 && ms2 > 0, `${ms1} ${ms2}`);
});

test('SsimQuery reuses the query statistics and rejects mismatched sizes', () => {
  const p = picture(64, 64);
  const q = new SsimQuery(p);
  const other = noisy(p, 20, 10);
  assert.equal(q.score(other), ssim(p, other));
  assert.throws(() => q.score(picture(32, 32)), /Expected an image of 64 x 64 pixels/);
  assert.throws(() => new SsimQuery(picture(8, 8)), /Expected an image of at least 11 x 11/);
});

test('grey copies: BT.601 luma, centre crop to a square, round-trip through side data', async () => {
  assert.deepEqual([...rgbToLuma(Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 77, 77, 77]), 4)], [76, 150, 29, 77]);
  // 200x100: black borders of 40 px left and right, white middle -> the centre square is all white.
  const w = 200;
  const h = 100;
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 40; x < 160; x++) rgb.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
  const g = await greyThumbnail({ data: rgb, width: w, height: h });
  assert.equal(g.width, GREY_SIDE);
  assert.equal(g.height, GREY_SIDE);
  assert.ok(g.data.every((v) => v > 250), 'centre crop keeps only the white middle');
  const back = greyFromBuffer(greyToBuffer(g));
  assert.deepEqual(back && [...back.data], [...g.data]);
  assert.equal(greyFromBuffer(Buffer.alloc(10)), null);
});
