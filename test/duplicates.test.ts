import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { Collection } from '../src/collection.js';
import { presetRecipe } from '../src/encode/recipe.js';
import { findDuplicateGroups } from '../src/search/duplicates.js';
import { writeImageFolder } from './helpers/images.js';
import { tempDir } from './helpers/paths.js';

test('groups chains of neighbours and ignores pairs below the threshold', async () => {
  const edges: Record<number, Array<{ id: number; score: number }>> = {
    1: [{ id: 2, score: 0.99 }], 2: [{ id: 1, score: 0.99 }, { id: 3, score: 0.96 }], 3: [{ id: 2, score: 0.96 }],
    4: [{ id: 5, score: 0.9 }], 5: [{ id: 4, score: 0.9 }], 6: [],
  };
  const groups = await findDuplicateGroups([1, 2, 3, 4, 5, 6], async (id) => edges[id]!, { threshold: 0.95 });
  assert.deepEqual(groups, [{ ids: [1, 2, 3], minScore: 0.96 }]);
});

test('finds a copy and a re-encoded, resized version of the same photo', async () => {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  const files = await writeImageFolder(photos, 8);
  copyFileSync(files[2]!, path.join(photos, 'copy.jpg'));
  writeFileSync(path.join(photos, 'smaller.jpg'), await sharp(readFileSync(files[2]!)).resize(80).jpeg({ quality: 70 }).toBuffer());
  const c = await Collection.open(path.join(dir, 'col'), { create: true });
  await c.index(photos, { recipe: presetRecipe('classic') });
  const groups = await c.duplicates({ threshold: 0.95 });
  await c.close();
  assert.equal(groups.length, 1, JSON.stringify(groups.map((g) => g.images.map((i) => i.path))));
  assert.deepEqual(groups[0]!.images.map((i) => i.path).sort(), ['class0/002.jpg', 'copy.jpg', 'smaller.jpg']);
});

test('with DBA and query expansion in the recipe, duplicates are judged by the codes, not by the augmented rows', async () => {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  const files = await writeImageFolder(photos, 40, 10);
  copyFileSync(files[12]!, path.join(photos, 'copy.jpg'));
  // DBA pulls each image towards its class: the augmented rows of a class all look alike.
  const recipe = { ...presetRecipe('classic'), post: { ...presetRecipe('balanced').post }, search: presetRecipe('balanced').search! };
  const c = await Collection.open(path.join(dir, 'col'), { create: true });
  await c.index(photos, { recipe });
  const groups = await c.duplicates({ threshold: 0.95 });
  await c.close();
  assert.deepEqual(groups.map((g) => g.images.map((i) => i.path).sort()), [['class1/012.jpg', 'copy.jpg']]);
});

test('above the ANN threshold, duplicates come from the graph without loading every code', async () => {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  const files = await writeImageFolder(photos, 24, 4);
  copyFileSync(files[5]!, path.join(photos, 'copy.jpg'));
  const c = await Collection.open(path.join(dir, 'col'), { create: true });
  await c.updateSettings({ ann: { threshold: 10 } });
  await c.index(photos, { recipe: presetRecipe('classic') });
  await c.close();

  const reopened = await Collection.open(path.join(dir, 'col'));
  let loads = 0;
  const loadCodes = reopened.store.loadCodes.bind(reopened.store);
  reopened.store.loadCodes = () => { loads++; return loadCodes(); };
  const groups = await reopened.duplicates({ threshold: 0.95 });
  await reopened.close();
  assert.equal(loads, 0, 'the codes were loaded');
  assert.deepEqual(groups.map((g) => g.images.map((i) => i.path).sort()), [['class1/005.jpg', 'copy.jpg']]);
});
