import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { Collection } from '../src/collection.js';
import { presetRecipe } from '../src/encode/recipe.js';
import { SimiliError } from '../src/errors.js';
import { dot } from '../src/search/exact.js';
import { writeImageFolder } from './helpers/images.js';
import { tempDir } from './helpers/paths.js';

test('a query by file, by URL, by bytes and by id finds the same image first', async () => {
  const dir = tempDir();
  const files = await writeImageFolder(path.join(dir, 'photos'), 10);
  const c = await Collection.open(path.join(dir, 'col'), { create: true });
  await c.index(path.join(dir, 'photos'), { recipe: presetRecipe('classic') });
  const target = files[4]!;
  const bytes = readFileSync(target);
  const server = http.createServer((req, res) => {
    if (req.url === '/img.jpg') {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(bytes);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const byFile = await c.search({ path: target }, { k: 3 });
    const byUrl = await c.search({ url: `${base}/img.jpg` }, { k: 3 });
    const byBytes = await c.search({ buffer: bytes }, { k: 3 });
    for (const r of [byFile, byUrl, byBytes]) {
      assert.equal(r.hits[0]!.path, 'class0/004.jpg');
      assert.ok(r.hits[0]!.score > 0.999);
    }
    assert.equal(byUrl.query.kind, 'url');
    // By id: the image itself is excluded, so its neighbours come first.
    const byId = await c.search({ id: byFile.hits[0]!.id }, { k: 3 });
    assert.ok(!byId.hits.some((h) => h.id === byFile.hits[0]!.id));
    assert.deepEqual(byId.hits.map((h) => h.id), byFile.hits.slice(1, 3).map((h) => h.id).concat(byId.hits[2]!.id));
    // Threshold drops weak hits.
    const strict = await c.search({ path: target }, { k: 10, threshold: 0.999 });
    assert.equal(strict.hits.length, 1);
    await assert.rejects(c.search({ url: `${base}/missing.jpg` }), (e: unknown) => e instanceof SimiliError && e.code === 'DOWNLOAD_FAILED' && /404/.test(e.message));
    await assert.rejects(c.search({ id: 99999 }), (e: unknown) => e instanceof SimiliError && e.code === 'NOT_FOUND');
    await assert.rejects(c.search({ path: target }, { k: 0 }), /Expected an integer between 1 and 10000 for k but received 0/);
  } finally {
    server.close();
    await c.close();
  }
});

test('with query expansion, an outside copy of a collection image comes first as itself', async () => {
  const dir = tempDir();
  const files = await writeImageFolder(path.join(dir, 'photos'), 40, 10);
  // The classic descriptor with the default recipe's expansion: fast, and exercises centring, DBA and QE.
  const recipe = { ...presetRecipe('classic'), post: { ...presetRecipe('balanced').post }, search: presetRecipe('balanced').search! };
  const c = await Collection.open(path.join(dir, 'col'), { create: true });
  await c.index(path.join(dir, 'photos'), { recipe });
  const bytes = readFileSync(files[13]!);
  const res = await c.search({ buffer: bytes }, { k: 5 });
  assert.equal(res.hits[0]!.path, 'class1/013.jpg');
  assert.ok(res.hits[0]!.score > 0.999, `score ${res.hits[0]!.score}`);
  assert.equal(new Set(res.hits.map((h) => h.id)).size, 5, 'the twin is not listed twice');

  // Ordered in the augmented space (score), and each hit's similarity is the cosine of the codes.
  const query = await c.store.getCode(res.hits[0]!.id);
  for (const byId of [await c.search({ id: res.hits[0]!.id }, { k: 10 }), res]) {
    assert.ok(byId.hits.every((h, i) => i === 0 || h.score <= byId.hits[i - 1]!.score), 'scores fall down the list');
    for (const hit of byId.hits) {
      const code = (await c.store.getCode(hit.id))!;
      assert.ok(Math.abs(hit.similarity! - dot(code, 0, query!, code.length)) < 1e-5, `hit ${hit.id}: similarity ${hit.similarity}`);
    }
    assert.ok(byId.hits.at(-1)!.similarity! < 0.99, `the 10th neighbour is not a near-copy (${byId.hits.at(-1)!.similarity})`);
  }
  // The threshold applies to similarity: only the image itself passes 0.999.
  const strict = await c.search({ buffer: bytes }, { k: 10, threshold: 0.999 });
  assert.deepEqual(strict.hits.map((h) => h.path), ['class1/013.jpg']);
  await c.close();
});
