import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Collection } from '../src/collection.js';
import { presetRecipe } from '../src/encode/recipe.js';
import { describeSearch } from '../src/cli/commands/info.js';
import { AnnIndex, annSettings, ANN_QUANTISATIONS } from '../src/search/ann.js';
import { CollectionAnn, type AnnSyncProgress } from '../src/search/ann-sync.js';
import { annConfig } from '../src/search/ann-searcher.js';
import { exactTopK } from '../src/search/exact.js';
import { candidateCount } from '../src/search/rescore.js';
import { SqliteCatalogue } from '../src/store/sqlite.js';
import type { CodeMatrix } from '../src/store/catalogue.js';
import { rng, writeImageFolder } from './helpers/images.js';
import { tempDir } from './helpers/paths.js';

/** Clustered, L2-normalised, mostly positive vectors: the shape of CNN codes. */
function clustered(n: number, dim: number, seed = 1): Float32Array {
  const rand = rng(seed);
  const centres = Array.from({ length: 20 }, () => Float32Array.from({ length: dim }, () => rand() ** 3));
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = centres[i % centres.length]!;
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = Math.max(0, c[j]! + (rand() - 0.5) * 0.4);
      data[i * dim + j] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < dim; j++) data[i * dim + j]! /= norm;
  }
  return data;
}

function recallAt10(ann: AnnIndex, matrix: CodeMatrix, queries: number, candidates: number): number {
  let hits = 0;
  for (let q = 0; q < queries; q++) {
    const query = matrix.data.subarray(q * matrix.dim, (q + 1) * matrix.dim);
    const truth = new Set(exactTopK(matrix, query, 10).map((t) => matrix.ids[t.row]));
    // As search does: candidates from the graph, re-scored exactly.
    const cand = ann.search(query, candidates).map((m) => m.id);
    const rescored = cand.map((id) => {
      const row = id - 1;
      let d = 0;
      for (let j = 0; j < matrix.dim; j++) d += matrix.data[row * matrix.dim + j]! * query[j]!;
      return { id, d };
    }).sort((a, b) => b.d - a.d).slice(0, 10);
    hits += rescored.filter((r) => truth.has(r.id)).length;
  }
  return hits / (queries * 10);
}

test('AnnIndex: every quantisation finds the exact top 10 after re-scoring; save, view, remove', () => {
  const n = 3000, dim = 48;
  const data = clustered(n, dim);
  const ids = Int32Array.from({ length: n }, (_, i) => i + 1);
  const matrix: CodeMatrix = { ids, dim, data };
  const dir = tempDir();
  for (const quantisation of ANN_QUANTISATIONS) {
    const ann = new AnnIndex(dim, annSettings({ quantisation }), quantisation === 'b1' ? { centre: new Float32Array(dim).fill(1 / Math.sqrt(dim)) } : {});
    ann.add(ids, data);
    assert.equal(ann.size, n);
    // Bits hand over ten times more candidates (candidateCount): with them they reach the floats' recall.
    assert.equal(candidateCount(10, 0, quantisation), quantisation === 'b1' ? 1000 : 100);
    const recall = recallAt10(ann, matrix, 50, candidateCount(10, 0, quantisation));
    assert.ok(recall >= 0.95, `${quantisation} recall ${recall}`);
    if (quantisation === 'b1') assert.ok(recallAt10(ann, matrix, 50, 100) < recall, 'more candidates help bits');
    const file = path.join(dir, `${quantisation}.usearch`);
    ann.save(file);
    const viewed = AnnIndex.open(file, dim, ann.settings, { view: true, centre: ann.centre });
    assert.equal(viewed.size, n);
    assert.deepEqual(viewed.search(data.subarray(0, dim), 5).map((m) => m.id), ann.search(data.subarray(0, dim), 5).map((m) => m.id));
    // A view is read-only in usearch: removing loads it first.
    assert.equal(viewed.remove([1, 2, 3]), 3);
    assert.equal(viewed.size, n - 3);
    assert.ok(!viewed.search(data.subarray(0, dim), 10).some((m) => m.id <= 3));
  }
});

test('AnnIndex: every vector of a fresh graph is found as its own nearest (no node stranded by concurrent insertion)', () => {
  const n = 300, dim = 64;
  // Built on 2 threads, about half of such graphs strand a node (usearch#735).
  for (let build = 0; build < 10; build++) {
    const data = clustered(n, dim, 100 + build);
    const ann = new AnnIndex(dim, annSettings({}));
    ann.add(Int32Array.from({ length: n }, (_, i) => i + 1), data);
    for (let i = 0; i < n; i++) assert.equal(ann.search(data.subarray(i * dim, (i + 1) * dim), 1)[0]?.id, i + 1, `build ${build}: vector ${i + 1}`);
  }
});

test('annSettings rejects bad values with the uniform message', () => {
  assert.throws(() => annSettings({ quantisation: 'f8' as never }), /Expected one of f32, f16, i8, b1 for ann.quantisation but received "f8"/);
  assert.throws(() => annSettings({ connectivity: 1 }), /Expected an integer between 2 and 256 for ann.connectivity/);
});

async function fillCatalogue(store: SqliteCatalogue, data: Float32Array, dim: number, from: number, to: number, tag = ''): Promise<void> {
  const indexed = [];
  for (let i = from; i < to; i++) {
    const hash = (tag + i.toString(16)).padStart(64, '0');
    const code = data.slice(i * dim, (i + 1) * dim);
    indexed.push({
      image: { path: `img/${i}.jpg`, size: 1, mtimeMs: 1, hash, width: 1, height: 1, format: 'jpeg' },
      vector: { hash, encoderId: 'test', raw: code, code },
    });
  }
  await store.writeBatch({ indexed, failed: [] });
}

test('CollectionAnn: built once, patched on add/remove/change, compacted, reopened from disk', async () => {
  const dir = tempDir();
  const store = new SqliteCatalogue(path.join(dir, 'catalogue.sqlite'));
  const dim = 32, n = 1000;
  const data = clustered(n + 200, dim, 7);
  await fillCatalogue(store, data, dim, 0, n);
  // The sync pages through the catalogue by id (keyset), never by OFFSET.
  const page = await store.listImages({ status: 'indexed', limit: 3, afterId: 10 });
  assert.deepEqual(page.map((r) => r.id), [11, 12, 13]);
  const settings = annSettings({ quantisation: 'f32' });
  const ann = new CollectionAnn(dir, store, 'test', 'v1', settings);
  const first = await ann.sync();
  assert.equal(first.rebuilt, true);
  assert.equal(first.added, n);
  assert.ok(existsSync(ann.files.graph) && existsSync(ann.files.keys) && existsSync(ann.files.meta));
  assert.deepEqual(await ann.sync(), { added: 0, removed: 0, rebuilt: false, seconds: 0 });

  // Another process (a new instance) memory-maps the saved graph without rebuilding.
  const reopened = new CollectionAnn(dir, store, 'test', 'v1', settings);
  assert.equal((await reopened.sync()).rebuilt, false);
  assert.equal(reopened.size, n);

  // Add 100, remove 50, change one image's bytes: a patch, not a rebuild.
  await fillCatalogue(store, data, dim, n, n + 100);
  await store.removeImages(Array.from({ length: 50 }, (_, i) => `img/${i}.jpg`));
  await fillCatalogue(store, data, dim, n + 150, n + 151, 'c');
  const changedId = (await store.getImage(`img/${n + 150}.jpg`))!.id;
  const patch = await reopened.sync();
  assert.equal(patch.rebuilt, false);
  assert.equal(patch.removed, 50);
  assert.equal(patch.added, 101);
  assert.equal(reopened.size, n + 51);
  const q = data.subarray((n + 150) * dim, (n + 151) * dim);
  assert.equal(reopened.search(q, 1)[0]!.id, changedId);

  // Removing more than a fifth of the graph rebuilds it, which drops the tombstones.
  await store.removeImages(Array.from({ length: 300 }, (_, i) => `img/${100 + i}.jpg`));
  const compacted = await reopened.sync();
  assert.equal(compacted.rebuilt, true);
  assert.equal(reopened.size, n + 51 - 300);

  // New codes (post-processing re-learned) make the saved graph stale.
  const refit = new CollectionAnn(dir, store, 'test', 'v2', settings);
  assert.equal((await refit.sync()).rebuilt, true);
  // The search-time candidate list is not part of the graph: no rebuild to change it.
  const wider = new CollectionAnn(dir, store, 'test', 'v2', { ...settings, expansionSearch: 300 });
  assert.equal((await wider.sync()).rebuilt, false);
  assert.equal(wider.size, n + 51 - 300);
  await store.close();
});

test('CollectionAnn: an interrupted build or patch resumes from its checkpoint and adds only the rest', async () => {
  const dir = tempDir();
  const store = new SqliteCatalogue(path.join(dir, 'catalogue.sqlite'));
  const dim = 32, n = 3000, more = 2500;
  const data = clustered(n + more, dim, 11);
  await fillCatalogue(store, data, dim, 0, n);
  const settings = annSettings({ quantisation: 'f32' });
  // Checkpoint after every chunk (1024 vectors); the progress callback plays the kill.
  const interruptAt = (phase: string) => (p: { phase: string; done: number }): void => {
    if (p.phase === phase && p.done >= 2048) throw new Error('killed');
  };
  const first = new CollectionAnn(dir, store, 'test', 'v1', settings, { checkpointSeconds: 0 });
  await assert.rejects(first.sync(interruptAt('build')), /killed/);
  // What was saved: the first chunk (the second's checkpoint comes after the kill).
  const saved = JSON.parse(readFileSync(first.files.meta, 'utf8')) as { count: number };
  assert.equal(saved.count, 1024);

  // The same process tries again: the checkpoint, not the graph it was building, is where it goes on.
  const resumed = await first.sync();
  assert.equal(resumed.rebuilt, false);
  assert.equal(resumed.added, n - 1024);
  assert.equal(first.size, n);
  // Another process finds the whole graph, current: nothing to do.
  assert.deepEqual(await new CollectionAnn(dir, store, 'test', 'v1', settings).sync(), { added: 0, removed: 0, rebuilt: false, seconds: 0 });

  // A patch interrupted the same way (a new process, 2500 images added, 10 removed).
  await fillCatalogue(store, data, dim, n, n + more);
  await store.removeImages(Array.from({ length: 10 }, (_, i) => `img/${i}.jpg`));
  const patcher = new CollectionAnn(dir, store, 'test', 'v1', settings, { checkpointSeconds: 0 });
  await assert.rejects(patcher.sync(interruptAt('update')), /killed/);
  const later = new CollectionAnn(dir, store, 'test', 'v1', settings);
  const patched = await later.sync();
  assert.equal(patched.rebuilt, false);
  assert.equal(patched.removed, 0, 'the removals were in the checkpoint');
  assert.equal(patched.added, more - 1024);
  assert.equal(later.size, n + more - 10);
  // Every image is in the graph exactly once, and finds itself.
  for (let i = 10; i < n + more; i += 97) {
    const id = (await store.getImage(`img/${i}.jpg`))!.id;
    assert.equal(later.search(data.subarray(i * dim, (i + 1) * dim), 1)[0]!.id, id, `img/${i}.jpg`);
  }

  // Ctrl-C (an abort signal) stops a build at the next chunk and saves what it has, whatever the checkpoint interval.
  const rebuilding = new CollectionAnn(dir, store, 'test', 'v2', settings);
  const controller = new AbortController();
  await assert.rejects(rebuilding.sync((p) => { if (p.phase === 'build' && p.done >= 1024) controller.abort(); }, controller.signal), { name: 'AbortError' });
  assert.equal((JSON.parse(readFileSync(rebuilding.files.meta, 'utf8')) as { count: number }).count, 1024);
  const finished = await new CollectionAnn(dir, store, 'test', 'v2', settings).sync();
  assert.equal(finished.added, n + more - 10 - 1024);
  await store.close();
});

test('Collection: --exact bypasses the ANN, exact: false forces it, and both agree', async () => {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  await writeImageFolder(photos, 24, 4);
  const c = await Collection.open(path.join(dir, 'col'), { create: true });
  await c.index(photos, { recipe: presetRecipe('classic'), batchSize: 8 });
  const byExact = await c.search({ id: 1 }, { k: 5, exact: true });
  const byAnn = await c.search({ id: 1 }, { k: 5, exact: false });
  assert.deepEqual(byAnn.hits.map((h) => h.id), byExact.hits.map((h) => h.id));
  byAnn.hits.forEach((h, i) => assert.ok(Math.abs(h.score - byExact.hits[i]!.score) < 1e-5));
  assert.ok(!byAnn.hits.some((h) => h.id === 1));
  // Below the threshold nothing is built; above it, index builds the graph and search uses it.
  await c.updateSettings({ ann: { threshold: 1_000_000 } });
  assert.equal(await c.syncAnn({ onlyAboveThreshold: true }), null);
  await c.updateSettings({ ann: { threshold: 10, quantisation: 'f16' } });
  await c.index(photos);
  const graphs = readdirSync(c.dir).filter((f) => f.startsWith('ann-') && f.endsWith('.json'));
  // One graph per encoder: the i8 one that exact: false built was rebuilt as f16.
  assert.equal(graphs.length, 1);
  assert.equal((JSON.parse(readFileSync(path.join(c.dir, graphs[0]!), 'utf8')) as { settings: { quantisation: string } }).settings.quantisation, 'f16');
  const auto = await c.search({ id: 1 }, { k: 5 });
  assert.deepEqual(auto.hits.map((h) => h.id), byExact.hits.map((h) => h.id));
  assert.throws(() => annConfig({ threshold: -1 }), /settings.ann.threshold/);
  await c.close();
});

/** 24 images indexed with query expansion, above an ANN threshold of 10; the collection left open. */
async function expandingAnnCollection(): Promise<{ col: string; files: string[]; setup: Collection; graphProgress: AnnSyncProgress[] }> {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  const files = await writeImageFolder(photos, 24, 4);
  const recipe = { ...presetRecipe('classic'), search: presetRecipe('balanced').search! };
  const col = path.join(dir, 'col');
  const setup = await Collection.open(col, { create: true });
  await setup.updateSettings({ ann: { threshold: 10 } });
  const graphProgress: AnnSyncProgress[] = [];
  await setup.index(photos, { recipe, onGraphProgress: (p) => graphProgress.push(p) });
  return { col, files, setup, graphProgress };
}

test('a search answered by the ANN graph, query expansion included, never loads every code', async () => {
  const { col, files, setup } = await expandingAnnCollection();
  const exact = [await setup.search({ id: 3 }, { k: 5, exact: true }), await setup.search({ path: files[7]! }, { k: 5, exact: true })];
  await setup.close();

  const c = await Collection.open(col);
  let loads = 0;
  const loadCodes = c.store.loadCodes.bind(c.store);
  c.store.loadCodes = () => { loads++; return loadCodes(); };
  const viaGraph = [await c.search({ id: 3 }, { k: 5 }), await c.search({ path: files[7]! }, { k: 5 })];
  assert.equal(loads, 0, 'the codes were loaded for an ANN search');
  viaGraph.forEach((r, i) => {
    assert.deepEqual(r.hits.map((h) => h.id), exact[i]!.hits.map((h) => h.id));
    r.hits.forEach((h, j) => assert.ok(Math.abs(h.similarity! - exact[i]!.hits[j]!.similarity!) < 1e-5));
  });
  await c.close();
});

test('info tells how searches are answered: scan or graph, and the graph\'s state', async () => {
  const { col, files, setup, graphProgress } = await expandingAnnCollection();
  // Index reported the graph's build after encoding.
  assert.deepEqual(graphProgress.at(-1), { phase: 'build', done: 24, total: 24 });
  const graph = (await setup.info()).search;
  assert.equal(graph?.mode, 'graph');
  assert.equal(graph?.settings.quantisation, 'i8');
  assert.deepEqual({ ...graph?.graph, bytes: undefined }, { vectors: 24, bytes: undefined, deleted: 0, current: true, unfinished: false });
  assert.ok(graph!.graph!.bytes > 0);
  assert.match(describeSearch(graph!), /^HNSW graph \(i8\), 24 vectors, \d+ MiB, up to date$/);

  // A change to the catalogue the graph has not seen yet.
  await setup.remove([files[0]!]);
  const behind = (await setup.info()).search!;
  assert.equal(behind.graph?.current, false);
  assert.match(describeSearch(behind), /behind the catalogue: the next index or search updates it/);
  // Ids follow the order images finished encoding: ask for one still there.
  const [kept] = await setup.store.listImages({ status: 'indexed', limit: 1 });
  await setup.search({ id: kept!.id }, { k: 3 });
  assert.equal((await setup.info()).search?.graph?.vectors, 23);

  // Below the threshold every code is scanned, whatever graph lies in the folder.
  await setup.updateSettings({ ann: { threshold: 1000 } });
  const scan = (await setup.info()).search!;
  assert.equal(scan.mode, 'scan');
  assert.equal(describeSearch(scan), 'exact scan of every code (approximate search from 1,000 indexed images)');
  await setup.close();
  const empty = await Collection.open(path.join(col, '..', 'empty'), { create: true });
  assert.equal((await empty.info()).search, null);
  await empty.close();
});

test('--exact never reads or builds the graph, nor loads every code, query expansion included', async () => {
  const { col, files, setup } = await expandingAnnCollection();
  await setup.close();
  const graphFiles = (): string[] => readdirSync(col).filter((f) => f.startsWith('ann-'));
  assert.ok(graphFiles().length > 0, 'index built no graph above the threshold');
  for (const f of graphFiles()) rmSync(path.join(col, f));

  const c = await Collection.open(col);
  // Nor does it hold every code: above the threshold an exact scan reads them page by page.
  let loads = 0;
  const loadCodes = c.store.loadCodes.bind(c.store);
  c.store.loadCodes = () => { loads++; return loadCodes(); };
  // A candidate subset (what a category gate hands over) is scanned the same way.
  const subset = { k: 5, candidateIds: [1, 2, 4, 6, 8, 10, 12, 14] };
  const streamed = [
    await c.search({ id: 3 }, { k: 5, exact: true }), await c.search({ path: files[7]! }, { k: 5, exact: true }), await c.search({ id: 3 }, subset),
  ];
  assert.deepEqual(graphFiles(), [], 'an exact search went through the graph');
  assert.equal(loads, 0, 'an exact search above the threshold loaded every code');
  assert.ok(streamed[2]!.hits.every((h) => subset.candidateIds.includes(h.id)));
  await c.search({ id: 3 }, { k: 5 });
  assert.ok(graphFiles().length > 0, 'a default search above the threshold did not rebuild the graph');

  // Below the threshold the same scan runs on the codes in memory: the same answer.
  await c.updateSettings({ ann: { threshold: 1000 } });
  const inMemory = [await c.search({ id: 3 }, { k: 5 }), await c.search({ path: files[7]! }, { k: 5 }), await c.search({ id: 3 }, subset)];
  assert.ok(loads > 0);
  inMemory.forEach((r, i) => {
    assert.deepEqual(r.hits.map((h) => h.id), streamed[i]!.hits.map((h) => h.id));
    r.hits.forEach((h, j) => assert.ok(Math.abs(h.score - streamed[i]!.hits[j]!.score) < 1e-5));
  });
  await c.close();
});

test('on a DBA collection the graph answers an id query from the image\'s own code, not its DBA row', async () => {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  await writeImageFolder(photos, 24, 4);
  // DBA without query expansion: the graph's answer is then exactly the nearest codes to the query's code.
  const recipe = { ...presetRecipe('classic'), post: { ...presetRecipe('classic').post, dba: presetRecipe('balanced').post.dba } };
  const c = await Collection.open(path.join(dir, 'col'), { create: true });
  await c.updateSettings({ ann: { threshold: 10, quantisation: 'f32' } });
  await c.index(photos, { recipe });
  const images = await c.store.listImages({ status: 'indexed' });
  const plain = await c.codesOf(images.map((i) => i.id), false);
  const rows = await c.codesOf(images.map((i) => i.id), true);
  const plainMatrix = await c.store.loadCodes();
  let differ = 0;
  for (const { id } of images) {
    differ += Number(exactTopK(plainMatrix, rows.get(id)!, 6).map((t) => t.row).join() !== exactTopK(plainMatrix, plain.get(id)!, 6).map((t) => t.row).join());
    const byGraph = await c.search({ id }, { k: 5 });
    const byCodes = await c.searchCode(plain.get(id)!, { k: 5, plain: true, exact: true, excludeIds: [id] });
    assert.deepEqual(byGraph.hits.map((h) => h.id), byCodes.map((h) => h.id), `image ${id}`);
  }
  // The test means something only if a DBA row would have ranked the codes differently.
  assert.ok(differ > 0, 'DBA changed no image\'s neighbours');
  await c.close();
});
