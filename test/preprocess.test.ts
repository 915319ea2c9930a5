import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resizeRgb, type RgbImage } from '../src/decode/decode.js';
import { MODELS } from '../src/encode/manifest.js';
import {
  cropRgb,
  inputGeometry,
  normalisationTable,
  prepareImage,
  sizeBatches,
  toNchw,
  writeNchw,
} from '../src/encode/preprocess.js';
import { averagePool, gemPool, pool, rmacPool, rmacRegions, sumPool } from '../src/encode/pooling.js';

function solid(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  }
  return { data, width, height };
}

test('center-crop geometry: shorter side to round(S*256/224), centred S x S window', () => {
  assert.deepEqual(inputGeometry(500, 375, 'center-crop', 224), { resizeWidth: 341, resizeHeight: 256, left: 58, top: 16, width: 224, height: 224 });
  assert.deepEqual(inputGeometry(375, 500, 'center-crop', 224), { resizeWidth: 256, resizeHeight: 341, left: 16, top: 58, width: 224, height: 224 });
  assert.deepEqual(inputGeometry(100, 100, 'center-crop', 320), { resizeWidth: 366, resizeHeight: 366, left: 23, top: 23, width: 320, height: 320 });
});

test('keep-aspect geometry: shorter side to S, longer side capped at 2 S', () => {
  assert.deepEqual(inputGeometry(500, 375, 'keep-aspect', 224), { resizeWidth: 299, resizeHeight: 224, left: 0, top: 0, width: 299, height: 224 });
  assert.deepEqual(inputGeometry(1000, 100, 'keep-aspect', 224), { resizeWidth: 448, resizeHeight: 45, left: 0, top: 0, width: 448, height: 45 });
  assert.throws(() => inputGeometry(10, 10, 'keep-aspect', 0), /Expected a positive integer for size but received 0/);
});

test('prepareImage center-crop equals an explicit resize then centre crop', async () => {
  // Left third red, middle green, right third blue: the crop must keep green in the middle.
  const img = solid(600, 300, (x) => (x < 200 ? [255, 0, 0] : x < 400 ? [0, 255, 0] : [0, 0, 255]));
  const out = await prepareImage(img, 'center-crop', 224);
  assert.equal(out.width, 224);
  assert.equal(out.height, 224);
  const resized = await resizeRgb(img, 512, 256, 'fill');
  assert.deepEqual(out.data, cropRgb(resized, 144, 16, 224, 224).data);
  const at = (x: number, y: number): number[] => [...out.data.subarray((y * 224 + x) * 3, (y * 224 + x) * 3 + 3)];
  assert.deepEqual(at(112, 112), [0, 255, 0]);
  assert.deepEqual(at(0, 0), [255, 0, 0]);
  assert.deepEqual(at(223, 223), [0, 0, 255]);
  const kept = await prepareImage(img, 'keep-aspect', 100);
  assert.deepEqual([kept.width, kept.height], [200, 100]);
});

test('NCHW float32 with the model normalisation, exactly as the README states', () => {
  const img: RgbImage = { data: Buffer.from([0, 128, 255, 10, 20, 30]), width: 2, height: 1 };
  const tf = normalisationTable(MODELS['mobilenetv2-tf'].normalisation);
  const out = new Float32Array(2 * 6).fill(NaN);
  writeNchw(img, tf, out, 1);
  // Item 0 untouched; item 1 is planes R, G, B of two pixels each.
  assert.ok(out.subarray(0, 6).every(Number.isNaN));
  const tfValue = (v: number): number => Math.fround((v / 255 - 0.5) / 0.5);
  assert.deepEqual([...out.subarray(6)], [0, 10, 128, 20, 255, 30].map(tfValue));
  assert.equal(out[6], -1);
  assert.equal(out[10], 1);

  const imagenet = normalisationTable(MODELS['squeezenet1.1'].normalisation);
  const { data, dims } = toNchw([img], imagenet);
  assert.deepEqual(dims, [1, 3, 1, 2]);
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const expected = [0, 10, 128, 20, 255, 30].map((v, i) => Math.fround((v / 255 - mean[i >> 1]!) / std[i >> 1]!));
  assert.deepEqual([...data], expected);
  assert.throws(() => toNchw([img, solid(3, 1, () => [0, 0, 0])], imagenet), /Expected a 2x1 image like the rest of the batch for images\[1\] but received "3x1"/);
});

test('sizeBatches groups same-size images and cuts runs of batchSize', () => {
  const a = solid(4, 4, () => [0, 0, 0]);
  const b = solid(5, 4, () => [0, 0, 0]);
  assert.deepEqual(sizeBatches([a, b, a, a, b, a], 2), [[0, 2], [3, 5], [1, 4]]);
});

/** A 2-channel 2x3 map: channel 0 = 1..6, channel 1 = -1 everywhere but one cell. */
const MAP = Float32Array.from([1, 2, 3, 4, 5, 6, -1, -1, -1, -1, 8, -1]);

test('pooling: GAP, GeM, SPoC', () => {
  assert.deepEqual([...averagePool(MAP, 2, 6)], [3.5, Math.fround(3 / 6)]);
  assert.deepEqual(pool(MAP, 2, 2, 3, { method: 'gap' }), averagePool(MAP, 2, 6));
  // GeM p=1 on positive values is the mean; large p tends to the max; negatives clamp to 1e-6.
  const gem1 = gemPool(MAP, 2, 6, 1);
  assert.ok(Math.abs(gem1[0]! - 3.5) < 1e-6);
  assert.ok(Math.abs(gem1[1]! - (8 + 5e-6) / 6) < 1e-6);
  assert.ok(Math.abs(gemPool(MAP, 2, 6, 60)[0]! - 6) < 0.3);
  assert.throws(() => pool(MAP, 2, 2, 3, { method: 'gem', p: 0 }), /Expected a positive number for pooling.p but received 0/);
  assert.deepEqual([...sumPool(MAP, 2, 2, 3, false)], [21, 3]);
  // The centre prior weights the centre cells (x = 1) most.
  const centre = sumPool(Float32Array.from([0, 1, 0, 0, 1, 0]), 1, 2, 3, true)[0]!;
  const edge = sumPool(Float32Array.from([1, 0, 0, 1, 0, 0]), 1, 2, 3, true)[0]!;
  assert.ok(centre > edge);
  assert.throws(() => pool(MAP, 2, 3, 3, { method: 'gap' }), /Expected 18 values for features but received 12/);
});

test('R-MAC: the standard grid, max per region, L2 per region, summed', () => {
  // Square 7x7 (MobileNetV2 at 224): whole map + 1 + 2x2 + 3x3 regions.
  const square = rmacRegions(7, 7, 3);
  assert.equal(square.length, 15);
  assert.deepEqual(square[1], { top: 0, left: 0, height: 7, width: 7 });
  assert.deepEqual(square.slice(2, 6).map((r) => [r.top, r.left, r.height]), [[0, 0, 4], [0, 3, 4], [3, 0, 4], [3, 3, 4]]);
  // Every region lies inside the map.
  for (const [h, w] of [[7, 10], [10, 7], [13, 13], [2, 9]] as const) {
    for (const r of rmacRegions(h, w, 3)) assert.ok(r.top >= 0 && r.left >= 0 && r.top + r.height <= h && r.left + r.width <= w, `${h}x${w}`);
  }
  // Landscape maps get extra regions along the width.
  assert.ok(rmacRegions(7, 10, 3).length > 15);
  // One channel: every regional vector normalises to 1, so the sum is the region count.
  const ones = new Float32Array(49).fill(0.25);
  assert.ok(Math.abs(rmacPool(ones, 1, 7, 7, 3)[0]! - 15) < 1e-4);
  // Two channels, one strong cell: regions containing it point at channel 1, others at channel 0.
  const map = new Float32Array(2 * 49).fill(0.1);
  map.fill(1, 0, 49);
  map[49 + 0] = 10;
  const v = rmacPool(map, 2, 7, 7, 3);
  assert.ok(v[0]! > v[1]!);
  assert.ok(v[1]! > 2);
});
