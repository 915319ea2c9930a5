/**
 * Labels and the category gate with the real SqueezeNet 1.1 on real ImageNet photos:
 * the gate hits (few candidates, right class), widens when too few images share the query's
 * categories, and an explicit category filters. Plus the pure pieces: class-name matching,
 * gate widening on a hand-made index, and the large-subset SIMD scan.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Collection } from '../src/collection.js';
import { matchClasses, parseClassName } from '../src/categories/classes.js';
import { imagesLabelled, labelsOfImages, predictNamed } from '../src/categories/describe.js';
import { explicitGate, predictedGate } from '../src/categories/gate.js';
import { LabelIndex } from '../src/categories/label-index.js';
import { closeLabellers, decodeLabels, encodeLabels } from '../src/categories/labels.js';
import { evaluateGate } from '../src/categories/evaluate.js';
import { exactTopK, scanTopK } from '../src/search/exact.js';
import { SimiliError } from '../src/errors.js';
import { presetRecipe } from '../src/encode/recipe.js';
import { DATASETS_DIR, MODELS_DIR, tempDir } from './helpers/paths.js';
import { promises as fs } from 'node:fs';

const IMAGENET = path.join(DATASETS_DIR, 'imagenet-100x10');
const NAMES = path.join(MODELS_DIR, 'squeezenet1.1', 'imagenet-synsets.txt');
const TENCH = 'n01440764', GOLDFISH = 'n01443537', LOGGERHEAD = 'n01664065', GREAT_WHITE = 'n01484850';

describe('class names', () => {
  test('match by synset, whole name, or word', async () => {
    const lines = (await fs.readFile(NAMES, 'utf8')).split('\n').filter((l) => l.trim() !== '');
    const classes = lines.map((l, i) => parseClassName(i, l));
    assert.deepEqual(classes[33], { classIndex: 33, synset: LOGGERHEAD, names: ['loggerhead', 'loggerhead turtle', 'Caretta caretta'] });
    assert.deepEqual(matchClasses(classes, 'n01664065').map((c) => c.classIndex), [33]);
    assert.deepEqual(matchClasses(classes, 'Loggerhead Turtle').map((c) => c.classIndex), [33]);
    const turtles = matchClasses(classes, 'turtle').map((c) => c.classIndex);
    assert.ok(turtles.includes(33) && turtles.includes(34) && turtles.length >= 4, String(turtles));
    assert.ok(!turtles.includes(36), 'terrapin has no word "turtle"');
    assert.deepEqual(matchClasses(classes, 'no such thing'), []);
  });

  test('predictions survive the side-data encoding', () => {
    const labels = [{ classIndex: 999, probability: 0.5 }, { classIndex: 0, probability: 0.25 }];
    assert.deepEqual(decodeLabels(encodeLabels(labels)), labels);
    assert.deepEqual(decodeLabels(Buffer.alloc(1)), []);
  });
});

describe('gate decisions on a hand-made index', () => {
  const classes = [0, 1, 2, 3].map((i) => parseClassName(i, `n0000000${i} class${i}, c${i}`));
  // images 1..6 in class 0, 7..8 in class 1, 9 in class 2, 10..20 in class 3
  const rows = { ids: [] as number[], classes: [] as number[] };
  const put = (from: number, to: number, c: number): void => { for (let id = from; id <= to; id++) { rows.ids.push(id); rows.classes.push(c); } };
  put(1, 6, 0); put(7, 8, 1); put(9, 9, 2); put(10, 20, 3);
  const index = new LabelIndex({ imageIds: Int32Array.from(rows.ids), classIndexes: Int32Array.from(rows.classes), probabilities: new Float32Array(rows.ids.length) });
  const preds = [0, 1, 2, 3].map((c, i) => ({ classIndex: c, probability: 0.5 / (i + 1) }));

  test('hit: enough candidates in the top category', () => {
    const d = predictedGate(index, classes, preds, { k: 5, topCategories: 1, excludeIds: [1], total: 20 });
    assert.deepEqual(d.candidateIds, [1, 2, 3, 4, 5, 6]);
    assert.equal(d.gate.candidates, 5);
    assert.equal(d.gate.widened, false);
    assert.deepEqual(d.gate.categories.map((c) => c.name), ['class0']);
  });

  test('widens to more categories, then to everything', () => {
    const more = predictedGate(index, classes, preds, { k: 7, topCategories: 1, excludeIds: [1], total: 20 });
    assert.equal(more.gate.widened, true);
    assert.equal(more.gate.everything, false);
    assert.deepEqual(more.candidateIds, [1, 2, 3, 4, 5, 6, 7, 8]);
    const all = predictedGate(index, classes, preds.slice(0, 3), { k: 12, topCategories: 1, excludeIds: [1], total: 20 });
    assert.equal(all.candidateIds, undefined);
    assert.equal(all.gate.everything, true);
    assert.equal(all.gate.candidates, 19);
    const none = predictedGate(index, classes, [], { k: 1, total: 20 });
    assert.equal(none.candidateIds, undefined, 'no predictions: the gate opens, never fails');
  });

  test('default rule: categories covering 90 % of the probability, on both sides', () => {
    // image 1: sure of class 0; image 2: unsure between 0 and 1; image 3: sure of class 1, 5 % class 0
    const mixed = new LabelIndex({
      imageIds: Int32Array.from([1, 2, 2, 3, 3]),
      classIndexes: Int32Array.from([0, 0, 1, 1, 0]),
      probabilities: Float32Array.from([0.97, 0.5, 0.45, 0.95, 0.05]),
    });
    assert.deepEqual(mixed.union([0], 'all'), [1, 2, 3]);
    assert.deepEqual(mixed.union([0], 'confident'), [1, 2], 'a 5 % label does not file image 3 under class 0');
    const sure = [{ classIndex: 0, probability: 0.93 }, { classIndex: 1, probability: 0.04 }];
    const d = predictedGate(mixed, classes, sure, { k: 1, total: 3 });
    assert.deepEqual(d.gate.categories.map((c) => c.name), ['class0'], 'a sure query opens one class');
    assert.deepEqual(d.candidateIds, [1, 2]);
    const unsure = [{ classIndex: 1, probability: 0.6 }, { classIndex: 0, probability: 0.35 }];
    assert.deepEqual(predictedGate(mixed, classes, unsure, { k: 1, total: 3 }).gate.categories.map((c) => c.name), ['class1', 'class0']);
    assert.deepEqual(predictedGate(mixed, classes, unsure, { k: 1, total: 3, categoryMass: 0.5 }).gate.categories.map((c) => c.name), ['class1']);
    assert.throws(() => predictedGate(mixed, classes, sure, { k: 1, topCategories: 2, categoryMass: 0.5 }), (err: unknown) => err instanceof SimiliError && err.code === 'INVALID_PARAMETER');
    assert.throws(() => predictedGate(mixed, classes, sure, { k: 1, categoryMass: 1.5 }), /categoryMass/);
  });

  test('explicit category never widens; unknown names are an error', () => {
    const d = explicitGate(index, classes, 'c2');
    assert.deepEqual(d.candidateIds, [9]);
    assert.equal(d.gate.widened, false);
    assert.throws(() => explicitGate(index, classes, 'zebra'), (err: unknown) => err instanceof SimiliError && err.code === 'INVALID_PARAMETER');
  });

  test('a large candidate subset is scanned with SIMD, same results as plain JS', () => {
    const dim = 32, n = 8000;
    const data = new Float32Array(n * dim).map((_, i) => Math.sin(i * 12.9898) % 1);
    const matrix = { ids: Int32Array.from({ length: n }, (_, i) => i + 1), dim, data };
    const q = data.slice(5 * dim, 6 * dim);
    const subset = Array.from({ length: 3000 }, (_, i) => (i * 7) % n);
    const opts = { rows: subset, excludeRows: new Set([subset[0]!]) };
    assert.deepEqual(exactTopK(matrix, q, 10, opts).map((s) => s.row), scanTopK(matrix, q, 10, opts).map((s) => s.row));
  });
});

describe('labels and gated search on real photos (SqueezeNet 1.1)', () => {
  let c: Collection;
  const idsOf = new Map<string, number[]>();

  before(async () => {
    const root = path.join(tempDir('simili-labels-'), 'photos');
    for (const s of [TENCH, GOLDFISH, LOGGERHEAD]) cpSync(path.join(IMAGENET, 'images', s), path.join(root, s), { recursive: true });
    // Two great white sharks: a category with too few images for k=5.
    const sharks = readdirSync(path.join(IMAGENET, 'images', GREAT_WHITE)).sort().slice(0, 2);
    for (const f of sharks) cpSync(path.join(IMAGENET, 'images', GREAT_WHITE, f), path.join(root, GREAT_WHITE, f));
    c = await Collection.open(path.join(root, '..', '.simili'), { create: true });
    await c.updateSettings({ labels: true });
    const s = await c.index(root);
    assert.equal(s.failed.length, 0);
    for (const r of await c.images()) {
      const folder = r.path.split('/')[0]!;
      idsOf.set(folder, [...(idsOf.get(folder) ?? []), r.id]);
    }
  });

  after(async () => {
    await c?.close();
    await closeLabellers();
  });

  test('every image has its top-5 labels; ls --label finds by a word', async () => {
    const labels = await labelsOfImages(c, (await c.images()).map((r) => r.id));
    assert.equal(labels.size, 32);
    for (const l of labels.values()) assert.equal(l.length, 5);
    const turtles = await imagesLabelled(c, 'turtle');
    const loggerheads = new Set(idsOf.get(LOGGERHEAD));
    const found = turtles.ids.filter((id) => loggerheads.has(id)).length;
    assert.ok(found >= 9, `ls --label turtle found ${found} of 10 loggerheads`);
  });

  test('labels of an outside photo', async () => {
    const top = await predictNamed(await fs.readFile(path.join(IMAGENET, 'queries', 'loggerhead.jpg')), 3);
    assert.equal(top.length, 3);
    assert.ok(top.some((l) => l.synset === LOGGERHEAD), JSON.stringify(top));
  });

  test('hit: a goldfish query is compared with goldfish only', async () => {
    const id = idsOf.get(GOLDFISH)![0]!;
    const r = await c.search({ id }, { k: 5, byCategory: true });
    assert.ok(r.gate);
    assert.equal(r.gate.everything, false);
    assert.equal(r.gate.categories[0]!.name, 'goldfish');
    assert.ok(r.scanned < 32 && r.scanned >= 5, `scanned ${r.scanned}`);
    assert.equal(r.hits.length, 5);
    const goldfish = new Set(idsOf.get(GOLDFISH));
    assert.ok(r.hits.every((h) => goldfish.has(h.id)), JSON.stringify(r.hits.map((h) => h.path)));
  });

  test('hit: an outside photo is gated by its own predictions (classified beside the encoder)', async () => {
    const r = await c.search({ path: path.join(IMAGENET, 'queries', 'loggerhead.jpg') }, { k: 5, byCategory: true });
    assert.ok(r.gate && !r.gate.everything, JSON.stringify(r.gate));
    assert.equal(r.gate.categories[0]!.name, 'loggerhead');
    assert.ok(r.scanned < 32, `scanned ${r.scanned}`);
    const loggerheads = new Set(idsOf.get(LOGGERHEAD));
    assert.ok(r.hits.every((h) => loggerheads.has(h.id)), JSON.stringify(r.hits.map((h) => h.path)));
  });

  test('widen: too few images share the categories, the search still answers k', async () => {
    const id = idsOf.get(GREAT_WHITE)![0]!;
    const r = await c.search({ id }, { k: 8, byCategory: true, topCategories: 1 });
    assert.ok(r.gate?.widened, JSON.stringify(r.gate));
    assert.equal(r.hits.length, 8);
  });

  test('explicit category filters (outside query), and never widens', async () => {
    const r = await c.search({ path: path.join(IMAGENET, 'queries', 'loggerhead.jpg') }, { k: 20, category: 'turtle' });
    assert.equal(r.gate?.mode, 'explicit');
    assert.equal(r.gate?.widened, false);
    assert.ok(r.hits.length >= 9 && r.hits.length < 20, `${r.hits.length} hits`);
    assert.ok(r.hits.slice(0, 9).every((h) => h.path.startsWith(LOGGERHEAD)), JSON.stringify(r.hits.map((h) => h.path)));
    await assert.rejects(c.search({ id: 1 }, { category: 'no such class' }), (err: unknown) => err instanceof SimiliError && err.code === 'INVALID_PARAMETER');
  });

  test('switching labels on later labels the images already indexed', async () => {
    const root = path.join(tempDir('simili-labels-late-'), 'photos');
    for (const f of readdirSync(path.join(IMAGENET, 'images', TENCH)).sort().slice(0, 3)) cpSync(path.join(IMAGENET, 'images', TENCH, f), path.join(root, f));
    const late = await Collection.open(path.join(root, '..', '.simili'), { create: true });
    try {
      await late.index(root, { recipe: presetRecipe('classic') });
      assert.equal((await late.store.unlabelledHashes()).length, 3);
      await assert.rejects(late.search({ id: 1 }, { byCategory: true }), /has no labels/);
      await assert.rejects(late.search({ path: path.join(IMAGENET, 'queries', 'loggerhead.jpg') }, { byCategory: true }), /has no labels/);
      await late.updateSettings({ labels: true });
      const again = await late.index(root);
      assert.equal(again.indexed, 0, 'nothing re-encoded');
      assert.equal((await late.store.unlabelledHashes()).length, 0);
      assert.equal((await imagesLabelled(late, 'tench')).ids.length, 3);
    } finally {
      await late.close();
    }
  });

  test('added images are labelled too, and the gate evaluation runs', async () => {
    const q = path.join(IMAGENET, 'queries', 'loggerhead.jpg');
    const r = await c.search({ path: q }, { k: 3, byCategory: true, addQuery: true });
    assert.equal(r.added?.indexed, 1);
    const added = await c.store.getImage(r.added!.paths[0]!);
    const labels = await labelsOfImages(c, [added!.id]);
    assert.equal(labels.get(added!.id)?.length, 5);
    await c.remove([q]);
    for (const rule of [{ topCategories: 4 }, {}]) {
      const report = await evaluateGate(c, { ...rule, k: 5 });
      assert.equal(report.queries, 32);
      assert.ok(report.gateRecall > 0.5 && report.classKept > 0.8, JSON.stringify(report));
    }
  });
});
