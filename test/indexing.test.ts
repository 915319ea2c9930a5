import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Collection } from '../src/collection.js';
import { presetRecipe } from '../src/encode/recipe.js';
import { SimiliError } from '../src/errors.js';
import { makeImage, writeImageFolder } from './helpers/images.js';
import { cliArgs, tempDir } from './helpers/paths.js';

// The weight-free descriptor keeps these tests about the catalogue, not about inference speed.
const classic = presetRecipe('classic');

test('indexes a folder, records bad files as failed, and re-runs incrementally', async () => {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  await writeImageFolder(photos, 12, 6);
  writeFileSync(path.join(photos, 'class0', 'empty.jpg'), Buffer.alloc(0));
  writeFileSync(path.join(photos, 'class0', 'notes.jpg'), 'this is not an image\n');
  const whole = await makeImage(99);
  writeFileSync(path.join(photos, 'class1', 'truncated.jpg'), whole.subarray(0, Math.floor(whole.length / 2)));
  writeFileSync(path.join(photos, 'readme.txt'), 'ignored: not an image name');

  const c = await Collection.open(path.join(dir, 'col'), { create: true });
  const first = await c.index(photos, { recipe: classic, batchSize: 4 });
  assert.equal(first.scanned, 15);
  assert.equal(first.indexed, 12);
  assert.deepEqual(first.failed.map((f) => [path.basename(f.path), f.errorCode]).sort(), [
    ['empty.jpg', 'EMPTY_FILE'], ['notes.jpg', 'UNSUPPORTED_FORMAT'], ['truncated.jpg', 'CORRUPT_IMAGE'],
  ]);
  const failedRows = await c.images({ status: 'failed' });
  assert.equal(failedRows.length, 3);
  assert.ok(failedRows.every((r) => r.error && r.error.length > 0));

  const again = await c.index(photos, { recipe: classic });
  assert.equal(again.unchanged, 15);
  assert.equal(again.indexed, 0);

  // Change one file, delete one, add one, copy one (identical bytes are encoded once).
  const changed = path.join(photos, 'class0', '000.jpg');
  writeFileSync(changed, await makeImage(500));
  utimesSync(changed, new Date(), new Date(Date.now() + 5000));
  rmSync(path.join(photos, 'class1', '011.jpg'));
  writeFileSync(path.join(photos, 'class1', 'new.jpg'), await makeImage(501));
  copyFileSync(path.join(photos, 'class1', '010.jpg'), path.join(photos, 'class1', 'copy-of-010.jpg'));
  const third = await c.index(photos, { recipe: classic });
  assert.equal(third.removed, 1);
  assert.equal(third.indexed, 3);
  assert.equal(third.deduplicated, 1);
  assert.equal(await c.store.countImages('indexed'), 13);

  // The copy shares the original's code, so searching with the original finds both at ~1.
  const res = await c.search({ path: path.join(photos, 'class1', '010.jpg') }, { k: 2 });
  assert.deepEqual(res.hits.map((h) => path.basename(h.path)).sort(), ['010.jpg', 'copy-of-010.jpg']);
  assert.ok(res.hits.every((h) => h.score > 0.999));
  await c.close();
});

test('a renamed file is not encoded again, the old path is dropped', async () => {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  await writeImageFolder(photos, 4);
  const c = await Collection.open(path.join(dir, 'col'), { create: true });
  await c.index(photos, { recipe: classic });
  renameSync(path.join(photos, 'class0', '001.jpg'), path.join(photos, 'class0', 'renamed.jpg'));
  const s = await c.index(photos, { recipe: classic });
  assert.equal(s.removed, 1);
  // Same bytes under a new name: the stored vector is reused, not recomputed.
  assert.equal(s.deduplicated, 1);
  assert.equal(s.indexed, 1);
  assert.ok(await c.store.getImage('class0/renamed.jpg'));
  assert.equal(await c.store.getImage('class0/001.jpg'), undefined);
  await c.close();
});

test('a collection never mixes encoders: another recipe needs --reindex', async () => {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  await writeImageFolder(photos, 3);
  const c = await Collection.open(path.join(dir, 'col'), { create: true });
  await c.index(photos, { recipe: classic });
  await assert.rejects(c.index(photos, { recipe: presetRecipe('fast') }), (err: unknown) => err instanceof SimiliError && err.code === 'ENCODER_MISMATCH' && /--reindex/.test(err.message));
  const rebuilt = await c.index(photos, { recipe: presetRecipe('fast'), reindex: true });
  assert.equal(rebuilt.indexed, 3);
  assert.equal((await c.info()).encoderId, rebuilt.encoderId);
  assert.notEqual(rebuilt.encoderId, 'classic');
  await c.close();
});

test('a run killed with SIGKILL resumes where it stopped, nothing lost or duplicated', async () => {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  await writeImageFolder(photos, 120, 40);
  const col = path.join(dir, 'col');
  const child = spawn(process.execPath, cliArgs('--collection', col, '--quiet', 'index', photos, '--preset', 'classic', '--batch-size', '2'), {
    stdio: 'ignore',
  });
  const dbFile = path.join(col, 'catalogue.sqlite');
  // Wait until some batches have landed, then kill without warning.
  let landed = 0;
  for (let i = 0; i < 600 && landed < 10; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      const db = new Database(dbFile, { readonly: true, fileMustExist: true });
      landed = (db.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n;
      db.close();
    } catch {
      // Not created yet.
    }
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(landed >= 10, 'the first run got going before the kill');

  const c = await Collection.open(col);
  const before = await c.store.countImages();
  assert.ok(before < 120, `killed mid-run (${before} of 120 stored)`);
  const resumed = await c.index(photos, { recipe: classic });
  assert.equal(resumed.unchanged, before);
  assert.equal(resumed.indexed, 120 - before);
  assert.equal(await c.store.countImages('indexed'), 120);
  assert.equal((await c.codes()).ids.length, 120);
  await c.close();
  const db = new Database(dbFile, { readonly: true });
  assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
  assert.equal((db.prepare('SELECT count(DISTINCT path) AS n FROM images').get() as { n: number }).n, 120);
  db.close();
});

test('a root that vanishes mid-run is an error, not an empty folder', async () => {
  const { scanFolder } = await import('../src/indexing/scan.js');
  await assert.rejects(scanFolder(path.join(tempDir(), 'gone')), (e: unknown) => e instanceof SimiliError && e.code === 'NOT_FOUND');
});
