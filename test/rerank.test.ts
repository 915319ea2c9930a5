import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Collection } from '../src/collection.js';
import { presetRecipe } from '../src/encode/recipe.js';
import { GREY_KIND, type GreyImage } from '../src/rerank/grey.js';
import { Mlp } from '../src/rerank/learned/mlp.js';
import type { SimilarityModel } from '../src/rerank/learned/model.js';
import { createReranker, EUCLID_FLOOR, validateRerankOptions, type GreyLookup, type RerankCandidate } from '../src/rerank/rerankers.js';
import { tempDir } from './helpers/paths.js';

function image(side: number, f: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(side * side);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) data[y * side + x] = Math.max(0, Math.min(255, Math.round(f(x, y))));
  return { data, width: side, height: side };
}

const scene = (dx = 0): GreyImage => image(128, (x, y) => 60 + x + ((x - 64 - dx) ** 2 + (y - 50) ** 2 < 600 ? 90 : 0));
const noise = (seed: number): GreyImage => image(128, (x, y) => (Math.sin(x * 12.9898 * seed + y * 78.233) * 43758.5453 % 1 + 1) * 127);

function unit(values: number[]): Float32Array {
  const n = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / n);
}

function lookupOf(greys: Record<number, GreyImage>): GreyLookup {
  return async (ids) => new Map(ids.flatMap((id) => (greys[id] ? [[id, greys[id]!] as const] : [])));
}

const query = { code: unit([1, 0, 0]), grey: async () => scene() };
// First stage put the structurally unrelated image first.
const candidates: RerankCandidate[] = [
  { id: 1, code: unit([0.99, 0.1, 0]), score: 0.99 },
  { id: 2, code: unit([0.9, 0.4, 0]), score: 0.9 },
  { id: 3, code: unit([0.5, 0.8, 0.3]), score: 0.5 },
];
const greys = lookupOf({ 1: noise(1), 2: scene(3), 3: noise(2) });

test('none keeps the first-stage order and scores', async () => {
  const out = await createReranker('none', { greys }).rerank(query, candidates);
  assert.deepEqual(out, candidates.map((c) => ({ id: c.id, score: c.score })));
});

test('ssim and ms-ssim move the structurally similar candidate to the top', async () => {
  for (const method of ['ssim', 'ms-ssim'] as const) {
    const out = await createReranker(method, { greys }).rerank(query, candidates);
    assert.equal(out[0]!.id, 2, method);
    assert.ok(out[0]!.score > 0.5 && out[0]!.score <= 1, `${method} ${out[0]!.score}`);
  }
});

test('ssim-euclid divides by the code distance, finite even for identical codes', async () => {
  const twin: RerankCandidate = { id: 4, code: query.code, score: 1 };
  const out = await createReranker('ssim-euclid', { greys: lookupOf({ 1: noise(1), 2: scene(3), 3: noise(2), 4: scene() }) }).rerank(query, [...candidates, twin]);
  assert.equal(out[0]!.id, 4);
  assert.ok(Number.isFinite(out[0]!.score));
  assert.ok(Math.abs(out[0]!.score - 1 / EUCLID_FLOOR) < 1e-6, 'SSIM 1 over the floored distance');
  assert.equal(out[1]!.id, 2);
});

test('a candidate without a greyscale copy sinks instead of failing', async () => {
  const out = await createReranker('ssim', { greys: lookupOf({ 2: scene(3), 3: noise(2) }) }).rerank(query, candidates);
  assert.equal(out[out.length - 1]!.id, 1);
  assert.equal(out[out.length - 1]!.score, -1);
});

test('learned scores pairs with the model: a distance-decreasing net reverses a bad order', async () => {
  const dim = 3;
  // One hidden unit = sum |a - b|; output = 2 - 5 * that: closer codes score higher.
  const net = new Mlp({ input: 2 * dim, hidden: [1] }, [
    { in: 2 * dim, out: 1, w: Float32Array.of(1, 1, 1, 0, 0, 0), b: Float32Array.of(0) },
    { in: 1, out: 1, w: Float32Array.of(-5), b: Float32Array.of(2) },
  ]);
  const model: SimilarityModel = { net, info: { encoderId: 'x', dim, targets: 'supervised', trainedAt: '', pairs: 0, heldOutAccuracy: 1 } };
  const reversed = [...candidates].reverse();
  const out = await createReranker('learned', { greys, model: async () => model }).rerank(query, reversed);
  assert.deepEqual(out.map((o) => o.id), [1, 2, 3]);
  await assert.rejects(createReranker('learned', { greys }).rerank(query, candidates), /train similarity/);
});

test('options are validated with the uniform message', () => {
  assert.deepEqual(validateRerankOptions({ method: 'ssim' }), { method: 'ssim', topN: 100 });
  assert.throws(() => validateRerankOptions({ method: 'sift' }), /Expected one of none, ssim, ms-ssim, ssim-euclid, learned for rerank.method but received "sift"/);
  assert.throws(() => validateRerankOptions({ method: 'ssim', topN: 0 }), /Expected an integer between 1 and 10000 for rerank.topN but received 0/);
});

/** Six pictures: three layouts, each with a colour-shifted near-duplicate. */
async function writeFolder(dir: string): Promise<void> {
  const svg = (cx: number, cy: number, fill: string, bg: string): Buffer => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120">
    <rect width="160" height="120" fill="${bg}"/><circle cx="${cx}" cy="${cy}" r="30" fill="${fill}"/>
    <rect x="${160 - cx}" y="${120 - cy}" width="30" height="20" fill="#222"/></svg>`);
  const layouts: Array<[number, number]> = [[40, 40], [110, 70], [80, 30]];
  await fs.mkdir(path.join(dir, 'a'), { recursive: true });
  for (const [i, [cx, cy]] of layouts.entries()) {
    await sharp(svg(cx, cy, '#e33', '#8ad')).jpeg().toFile(path.join(dir, 'a', `${i}-1.jpg`));
    await sharp(svg(cx, cy, '#d44', '#9bd')).jpeg().toFile(path.join(dir, 'a', `${i}-2.jpg`));
  }
}

test('Collection.search re-ranks with stored greys, and decodes (then stores) them when missing', async () => {
  const root = tempDir('simili-rerank-');
  const images = path.join(root, 'images');
  await writeFolder(images);
  for (const withGreys of [true, false]) {
    const collection = await Collection.open(path.join(root, `c-${withGreys}`), { create: true });
    try {
      if (!withGreys) await collection.updateSettings({ grey: false });
      await collection.index(images, { recipe: presetRecipe('classic') });
      const all = await collection.images();
      const stored = await collection.store.getImageData(GREY_KIND, all.map((r) => r.hash!));
      assert.equal(stored.size, withGreys ? 6 : 0);
      const result = await collection.search({ path: path.join(images, 'a', '1-1.jpg') }, { k: 3, rerank: { method: 'ssim', topN: 6 } });
      assert.equal(result.hits[0]!.path, 'a/1-1.jpg', 'the identical image first');
      assert.equal(result.hits[0]!.score, 1);
      assert.equal(result.hits[1]!.path, 'a/1-2.jpg', 'its near-duplicate second');
      assert.deepEqual(result.hits.map((h) => h.rank), [1, 2, 3]);
      assert.ok(result.timings.rerankMs !== undefined);
      const after = await collection.store.getImageData(GREY_KIND, all.map((r) => r.hash!));
      assert.equal(after.size, 6, 'every candidate now has its copy');
    } finally {
      await collection.close();
    }
  }
});
