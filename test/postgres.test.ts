import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Collection } from '../src/collection.js';
import { presetRecipe } from '../src/encode/recipe.js';
import { REWRITE_PAGE, spreadIndexedIds } from '../src/store/catalogue.js';
import { openStore } from '../src/store/open.js';
import { fromVectorText, PostgresCatalogue, toVectorText } from '../src/store/postgres.js';
import { SqliteCatalogue } from '../src/store/sqlite.js';
import { writeImageFolder } from './helpers/images.js';
import { tempDir } from './helpers/paths.js';
import { startPostgres, type TestPostgres } from './helpers/pglite.js';

let pg: TestPostgres;
before(async () => { pg = await startPostgres(); });
after(async () => { await pg.stop(); });

test('vector text round-trips float32 exactly', () => {
  const v = Float32Array.from([0.1, -1e-7, 3.4028234663852886e38, 0, 1 / 3]);
  assert.deepEqual(fromVectorText(toVectorText(v)), v);
});

test('the store behaves like the SQLite catalogue: batches, dedup, side data, prune, generation', async () => {
  const store = await PostgresCatalogue.connect(`${pg.url}?schema=unit`);
  const g0 = await store.generation();
  const code = Float32Array.from([0.6, 0.8, 0]);
  const image = (p: string, hash: string) => ({ path: p, size: 10, mtimeMs: 1.5, hash, width: 4, height: 3, format: 'png' });
  await store.writeBatch({
    indexed: [
      { image: image('a.png', 'h1'), vector: { hash: 'h1', encoderId: 'e', raw: code, code } },
      { image: image('b.png', 'h1'), vector: null },
    ],
    failed: [{ path: 'bad.jpg', size: 0, mtimeMs: 2, hash: null, errorCode: 'EMPTY_FILE', error: 'empty' }],
    sideData: [{ kind: 'grey', hash: 'h1', data: Buffer.from([1, 2, 3]) }],
  });
  // Idempotent: the same batch again (a retried job) changes nothing but the generation.
  await store.writeBatch({ indexed: [{ image: image('a.png', 'h1'), vector: { hash: 'h1', encoderId: 'e', raw: code, code } }], failed: [] });
  assert.ok((await store.generation()) > g0);
  assert.equal(await store.countImages(), 3);
  assert.equal(await store.countImages('indexed'), 2);
  assert.equal(await store.hasVector('h1', 'e'), true);
  assert.equal(await store.hasVector('h1', 'other'), false);
  const a = (await store.getImage('a.png'))!;
  assert.equal(a.size, 10);
  assert.equal(a.mtimeMs, 1.5);
  assert.deepEqual((await store.listImages({ status: 'indexed', afterId: a.id })).map((r) => r.path), ['b.png'], 'keyset page after a');
  assert.deepEqual((await store.listImages({ limit: 1, afterId: -1 })).map((r) => r.id), [a.id]);
  assert.deepEqual(await store.getCode(a.id), code);
  const codes = await store.loadCodes();
  assert.equal(codes.dim, 3);
  assert.equal(codes.ids.length, 2);
  assert.deepEqual((await store.loadRaw([a.id])).data, code);
  assert.deepEqual([...(await store.getImageData('grey', ['h1', 'nope'])).keys()], ['h1']);
  const near = await store.nearestCodes(Float32Array.from([1, 0, 0]), 5);
  assert.deepEqual(near.map((n) => n.id).sort(), [a.id, a.id + 1].sort());
  assert.ok(Math.abs(near[0]!.score - 0.6) < 1e-6);
  await store.putLabels([{ hash: 'h1', labels: [{ classIndex: 7, probability: 0.25 }, { classIndex: 3, probability: 0.5 }] }]);
  assert.deepEqual(await store.getLabels(['h1']), new Map([['h1', [{ classIndex: 3, probability: 0.5 }, { classIndex: 7, probability: 0.25 }]]]));
  assert.equal((await store.loadLabels()).imageIds.length, 4);
  assert.deepEqual(await store.imagesWithClasses([7]), [a.id, a.id + 1]);
  assert.deepEqual(await store.unlabelledHashes(), []);
  await store.setBlob('t', Buffer.from('x'));
  assert.equal((await store.getBlob('t'))!.toString(), 'x');
  await store.rewriteCodes((raw) => Float32Array.from(raw, (x) => x * 2));
  assert.deepEqual(await store.getCode(a.id), Float32Array.from([1.2, 1.6, 0]));
  assert.equal(await store.removeImages(['a.png', 'b.png']), 2);
  assert.equal(await store.pruneVectors(), 1);
  assert.equal((await store.getImageData('grey', ['h1'])).size, 0);
  await store.clearVectors();
  await store.close();
});

test('Postgres: codes are rewritten across pages; a spread sample of raw vectors is read by id', async () => {
  const store = await PostgresCatalogue.connect(`${pg.url}?schema=rewrite`);
  const n = REWRITE_PAGE * 2 + 500;
  const indexed = Array.from({ length: n }, (_, i) => {
    const hash = `h${i}`;
    const raw = Float32Array.from([i, 1, 0]);
    return { image: { path: `${i}.png`, size: 1, mtimeMs: 1, hash, width: 1, height: 1, format: 'png' }, vector: { hash, encoderId: 'e', raw, code: raw } };
  });
  await store.writeBatch({ indexed, failed: [] });
  await store.rewriteCodes((raw) => Float32Array.from(raw, (x) => x * 2));
  for (const i of [0, REWRITE_PAGE + 1, n - 1]) {
    const id = (await store.getImage(`${i}.png`))!.id;
    assert.deepEqual(await store.getCode(id), Float32Array.from([2 * i, 2, 0]), `image ${i}`);
  }
  const sample = await spreadIndexedIds(store, 10);
  assert.equal(sample.length, 10);
  const raw = await store.loadRaw(sample);
  assert.deepEqual([...raw.ids], sample);
  assert.deepEqual(raw.data.subarray(3, 6), Float32Array.from([n / 10, 1, 0]));
  await store.close();
});

test('a collection indexed into Postgres searches like the SQLite one, exact and through pgvector HNSW', async () => {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  await writeImageFolder(photos, 20, 5);
  const recipe = presetRecipe('classic');
  const url = `${pg.url}?schema=photos`;

  const inPg = await Collection.open(path.join(dir, 'pg'), { store: url });
  const summary = await inPg.index(photos, { recipe, batchSize: 4 });
  assert.equal(summary.indexed, 20);
  const local = await Collection.open(path.join(dir, 'local'), { create: true });
  await local.index(photos, { recipe, batchSize: 4 });

  const query = { path: path.join(photos, 'class1', '006.jpg') };
  const want = (await local.search(query, { k: 5 })).hits.map((h) => [h.path, h.score.toFixed(5)]);
  const exact = await inPg.search(query, { k: 5, exact: true });
  assert.deepEqual(exact.hits.map((h) => [h.path, h.score.toFixed(5)]), want);
  const approx = await inPg.search(query, { k: 5, exact: false });
  assert.deepEqual(approx.hits.map((h) => [h.path, h.score.toFixed(5)]), want);
  assert.equal(approx.hits[0]!.location, path.join(photos, 'class1', '006.jpg'));

  // A second process (here: a second connection) sees the same collection, and a re-run is a no-op.
  const again = await Collection.open(path.join(dir, 'elsewhere'), { store: await openStore(url) });
  assert.equal((await again.info()).indexed, 20);
  assert.equal((await again.index(photos, { recipe })).indexed, 0);
  await Promise.all([inPg.close(), local.close(), again.close()]);
  assert.ok((await openStore(path.join(dir, 'x.sqlite'))) instanceof SqliteCatalogue);
});
