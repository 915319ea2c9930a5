import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import sharp from 'sharp';
import { gaussian, seededRandom } from '../src/random.js';
import type { CodeMatrix } from '../src/store/catalogue.js';
import { batchGradients, bceWithLogit, Mlp, parameters } from '../src/rerank/learned/mlp.js';
import { deserializeModel, pairFeatures, scorePair, serializeModel } from '../src/rerank/learned/model.js';
import { rankNormalise, supervisedPairs, unsupervisedPairs } from '../src/rerank/learned/pairs.js';
import { plotLosses } from '../src/rerank/learned/plot.js';
import { assertNoLeak, subMatrix } from '../src/rerank/learned/split-eval.js';
import { splitByClass, splitRows } from '../src/rerank/learned/split.js';
import { trainPairs } from '../src/rerank/learned/train.js';
import type { GreyImage } from '../src/rerank/grey.js';
import { tempDir } from './helpers/paths.js';

/** `classes` clusters of unit vectors in `dim` dimensions; labels 'c0', 'c1', ... */
function clustered(n: number, dim: number, classes: number, noise: number, seed = 1): { matrix: CodeMatrix; labels: string[] } {
  const g = gaussian(seededRandom(seed));
  const centres = Array.from({ length: classes }, () => Float64Array.from({ length: dim }, () => g()));
  const data = new Float32Array(n * dim);
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels.push(`c${c}`);
    const v = Array.from({ length: dim }, (_, d) => centres[c]![d]! + noise * g());
    const norm = Math.hypot(...v);
    v.forEach((x, d) => { data[i * dim + d] = x / norm; });
  }
  return { matrix: { ids: Int32Array.from({ length: n }, (_, i) => i + 1), dim, data }, labels };
}

test('back-propagation matches numerical gradients', () => {
  const net = new Mlp({ input: 4, hidden: [5, 3] }, undefined, 3);
  const x = [Float32Array.of(0.3, -0.2, 0.8, 0.1), Float32Array.of(-0.5, 0.4, 0.2, 0.9)];
  const t = [1, 0.2];
  const { grads } = batchGradients(net, x, t);
  const loss = (): number => x.reduce((s, xi, i) => { const a = net.forward(xi); return s + bceWithLogit(a[a.length - 1]![0]!, t[i]!); }, 0) / x.length;
  parameters(net).forEach((p, k) => {
    for (const i of [0, p.length - 1]) {
      const old = p[i]!;
      p[i] = old + 1e-3;
      const up = loss();
      p[i] = old - 1e-3;
      const down = loss();
      p[i] = old;
      const numeric = (up - down) / 2e-3;
      assert.ok(Math.abs(numeric - grads[k]![i]!) < 2e-3, `param ${k}[${i}]: ${numeric} vs ${grads[k]![i]}`);
    }
  });
});

test('pair features are symmetric, so the learned score is too', () => {
  const a = Float32Array.of(0.6, 0.8, 0);
  const b = Float32Array.of(0, 0.6, 0.8);
  assert.deepEqual(pairFeatures(a, b), pairFeatures(b, a));
});

test('the MLP converges on a tiny synthetic set: same cluster = similar', () => {
  const { matrix, labels } = clustered(120, 16, 6, 0.6);
  const rows = splitRows(Array.from({ length: 120 }, (_, i) => i), 2);
  const train = supervisedPairs(matrix, labels, rows.train, 800, 1);
  const val = supervisedPairs(matrix, labels, rows.val, 200, 2);
  const result = trainPairs(train, val, { hidden: [16], epochs: 8, batchSize: 16, learningRate: 3e-3 });
  const first = result.epochs[0]!;
  const last = result.epochs[result.epochs.length - 1]!;
  assert.ok(last.trainLoss < first.trainLoss, `loss went down: ${first.trainLoss} -> ${last.trainLoss}`);
  assert.ok(last.trainLoss < 0.35, `train loss ${last.trainLoss}`);
  assert.ok(last.valAccuracy > 0.9, `held-out accuracy ${last.valAccuracy}`);
  assert.equal(result.batchLosses.length, 8 * Math.ceil(train.length / 16));
});

test('a saved model predicts exactly as before', () => {
  const net = new Mlp({ input: 8, hidden: [6, 4] }, undefined, 5);
  const model = { net, info: { encoderId: 'e', dim: 4, targets: 'unsupervised' as const, trainedAt: 'now', pairs: 3, heldOutAccuracy: 0.5 } };
  const back = deserializeModel(serializeModel(model));
  const a = Float32Array.of(0.5, 0.5, 0.5, 0.5);
  const b = Float32Array.of(0.1, 0.7, 0.7, 0.1);
  assert.equal(scorePair(back, a, b), scorePair(model, a, b));
  assert.deepEqual(back.info, model.info);
});

test('class split cannot leak: training pairs stay in training classes, evaluation sees only held-out classes', () => {
  const { matrix, labels } = clustered(200, 8, 10, 0.5, 4);
  const split = splitByClass(labels, 7);
  assert.equal(split.trainClasses.length, 5);
  assert.equal(split.trainRows.length + split.testRows.length, 200);
  assert.deepEqual(split.trainClasses.filter((c) => split.testClasses.includes(c)), []);
  const train = new Set(split.trainRows);
  const pairs = supervisedPairs(matrix, labels, split.trainRows, 2000, 3);
  assert.ok(pairs.some((p) => p.kind === 'hard-negative'));
  assertNoLeak(pairs, train);
  for (const p of pairs) for (const r of p.rows) assert.ok(split.trainClasses.includes(labels[r]!));
  // A pair touching a held-out row is caught.
  const leaked = { ...pairs[0]!, rows: [split.trainRows[0]!, split.testRows[0]!] as [number, number] };
  assert.throws(() => assertNoLeak([leaked], train), /Class split leaked/);
  // The evaluation matrix holds held-out classes only.
  const test = subMatrix(matrix, split.testRows);
  const testLabels = Array.from(test.ids, (id) => labels[id - 1]!);
  assert.ok(testLabels.every((l) => split.testClasses.includes(l)));
  assert.equal(test.ids.length, split.testRows.length);
  // Deterministic: the same seed gives the same split.
  assert.deepEqual(splitByClass(labels, 7), split);
});

test('unsupervised pairs: augmented = 1, far = 0, neighbours graded by SSIM / distance in [0, 1]', async () => {
  const { matrix } = clustered(40, 8, 4, 0.3, 9);
  const rows = Array.from({ length: 40 }, (_, i) => i);
  const grey = (row: number): GreyImage => ({ data: Uint8Array.from({ length: 64 * 64 }, (_, i) => ((i * (row + 3)) % 97) * 2), width: 64, height: 64 });
  const pairs = await unsupervisedPairs(matrix, rows, {
    augmentedCode: async (row) => matrix.data.slice(row * 8, row * 8 + 8),
    greys: async (rs) => new Map(rs.map((r) => [r, grey(r)])),
  }, { augmented: 5, far: 10, nearAnchors: 4, perAnchor: 3 }, 1);
  const by = (k: string) => pairs.filter((p) => p.kind === k);
  assert.equal(by('augmented').length, 5);
  assert.ok(by('augmented').every((p) => p.target === 1 && p.rows[0] === p.rows[1]));
  assert.equal(by('far').length, 10);
  assert.ok(by('far').every((p) => p.target === 0));
  assert.equal(by('near').length, 12);
  assert.ok(by('near').every((p) => p.target >= 0 && p.target <= 1));
  assert.deepEqual(rankNormalise([3, 1, 2, 2]), [1, 0, 0.5, 0.5]);
});

test('loss curves are written as a PNG', async () => {
  const file = path.join(tempDir('simili-plot-'), 'loss.png');
  await plotLosses({
    net: new Mlp({ input: 2, hidden: [2] }),
    batchLosses: Array.from({ length: 50 }, (_, i) => 0.7 * Math.exp(-i / 20) + 0.05),
    epochs: [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 0.6 / epoch, trainAccuracy: 0.8, valLoss: 0.65 / epoch, valAccuracy: 0.78 })),
  }, file);
  const meta = await sharp(file).metadata();
  assert.equal(meta.format, 'png');
  assert.equal(meta.width, 720);
});

test('end to end on a tiny collection: train (both target sources), save, re-rank a search, split-evaluate', async () => {
  const { promises: fs } = await import('node:fs');
  const { Collection } = await import('../src/collection.js');
  const { presetRecipe } = await import('../src/encode/recipe.js');
  const { SIMILARITY_BLOB } = await import('../src/rerank/learned/model.js');
  const { trainSimilarity } = await import('../src/rerank/learned/train-collection.js');
  const { evaluateLearnedSplit } = await import('../src/rerank/learned/split-eval.js');
  const root = tempDir('simili-learned-');
  const images = path.join(root, 'images');
  const colours = ['#c33', '#3a3', '#33c', '#cc3'];
  for (const [k, colour] of colours.entries()) {
    await fs.mkdir(path.join(images, `class${k}`), { recursive: true });
    for (let i = 0; i < 5; i++) {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="72"><rect width="96" height="72" fill="${colour}"/>` +
        `<circle cx="${20 + i * 12}" cy="${20 + k * 10}" r="${8 + i}" fill="#fff"/></svg>`;
      await sharp(Buffer.from(svg)).jpeg().toFile(path.join(images, `class${k}`, `${i}.jpg`));
    }
  }
  const collection = await Collection.open(path.join(root, 'c'), { create: true });
  try {
    await collection.index(images, { recipe: presetRecipe('classic') });
    const unsup = await trainSimilarity(collection, { targets: 'unsupervised', pairs: 40, epochs: 2, hidden: [8] });
    assert.equal(unsup.model.info.targets, 'unsupervised');
    assert.ok(unsup.trainPairs.some((p) => p.kind === 'augmented'));
    const sup = await trainSimilarity(collection, { pairs: 200, epochs: 3, hidden: [8] });
    assert.equal(sup.model.info.targets, 'supervised', 'class folders make auto choose supervised');
    assert.ok(Number.isFinite(sup.model.info.heldOutAccuracy));
    await collection.store.setBlob(SIMILARITY_BLOB, serializeModel(sup.model));
    const result = await collection.search({ id: 1 }, { k: 3, rerank: { method: 'learned', topN: 10 } });
    assert.equal(result.hits.length, 3);
    assert.ok(result.hits.every((h) => h.score >= 0 && h.score <= 1));
    const split = await evaluateLearnedSplit(collection, { pairs: 100, epochs: 2, hidden: [8] });
    assert.equal(split.split.testClasses.length, 2);
    assert.deepEqual(split.rows.map((r) => r.method), ['none', 'learned']);
    assert.equal(split.rows[0]!.metrics.queries, 10, 'only held-out-class images are queries');
  } finally {
    await collection.close();
  }
});
