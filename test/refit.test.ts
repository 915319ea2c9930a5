import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { Collection } from '../src/collection.js';
import { codeFunction, deserializeTransform, MAX_FIT_VECTORS } from '../src/encode/postprocess.js';
import { presetRecipe, type Recipe } from '../src/encode/recipe.js';
import { REWRITE_PAGE, spreadIndexedIds } from '../src/store/catalogue.js';
import { rng } from './helpers/images.js';
import { tempDir } from './helpers/paths.js';

/** n images with random non-negative raw vectors, written straight into the catalogue. */
async function fill(c: Collection, n: number, dim: number): Promise<Map<number, Float32Array>> {
  const rand = rng(5);
  const indexed = Array.from({ length: n }, (_, i) => {
    const hash = i.toString(16).padStart(64, '0');
    const raw = Float32Array.from({ length: dim }, () => rand() ** 2);
    return { image: { path: `img/${i}.jpg`, size: 1, mtimeMs: 1, hash, width: 1, height: 1, format: 'jpeg' }, vector: { hash, encoderId: 'test', raw, code: raw } };
  });
  await c.store.writeBatch({ indexed, failed: [] });
  const byId = new Map<number, Float32Array>();
  for (const { image, vector } of indexed) byId.set((await c.store.getImage(image.path))!.id, vector.raw);
  return byId;
}

test('spreadIndexedIds: at most count ids, evenly spread over the whole collection', async () => {
  const c = await Collection.open(path.join(tempDir(), 'col'), { create: true });
  const raws = await fill(c, 2500, 4);
  const ids = [...raws.keys()].sort((a, b) => a - b);
  const spread = await spreadIndexedIds(c.store, 100);
  assert.equal(spread.length, 100);
  assert.equal(spread[0], ids[0]);
  assert.equal(new Set(spread).size, 100);
  // Every 25th image: the last share of the collection is represented too.
  assert.deepEqual(spread.slice(0, 3), [ids[0], ids[25], ids[50]]);
  assert.equal(spread.at(-1), ids[2475]);
  assert.deepEqual(await spreadIndexedIds(c.store, 5000), ids, 'fewer images than asked: all of them');
  await c.close();
});

test('post-processing is learned from a sample of the codes, and every code is rewritten page by page', async () => {
  const c = await Collection.open(path.join(tempDir(), 'col'), { create: true });
  const dim = 24;
  const n = MAX_FIT_VECTORS + 800;
  const raws = await fill(c, n, dim);
  const recipe: Recipe = { ...presetRecipe('balanced'), post: { power: 1, centre: true, whiten: { dim: 16 }, dba: null } };
  await c.store.setMeta('recipe', JSON.stringify(recipe));

  // What the fit reads: never every raw vector of a large collection (5 GB at 1M images).
  const asked: Array<readonly number[] | undefined> = [];
  const loadRaw = c.store.loadRaw.bind(c.store);
  c.store.loadRaw = (ids) => {
    asked.push(ids);
    return loadRaw(ids);
  };
  assert.equal(await c.refitIfNeeded(), true);
  assert.equal(asked.length, 1);
  assert.equal(asked[0]?.length, MAX_FIT_VECTORS);

  const transform = deserializeTransform((await c.store.getBlob('transform'))!);
  assert.equal(transform.outDim, 16);
  assert.equal(transform.fittedOn, n, 'fittedOn counts the collection, so the next refit waits for it to double');
  assert.equal(await c.refitIfNeeded(), false);

  // More codes than one rewrite page: the first, a middle one and the last are all rewritten.
  assert.ok(n > 3 * REWRITE_PAGE);
  const toCode = codeFunction(recipe.post, transform);
  const ids = [...raws.keys()].sort((a, b) => a - b);
  for (const id of [ids[0]!, ids[Math.floor(n / 2)]!, ids.at(-1)!]) {
    const want = toCode(raws.get(id)!);
    const got = (await c.store.getCode(id))!;
    assert.equal(got.length, 16);
    got.forEach((v, j) => assert.ok(Math.abs(v - want[j]!) < 1e-6, `image ${id} dimension ${j}`));
  }
  await c.close();
});
