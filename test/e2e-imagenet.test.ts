import assert from 'node:assert/strict';
import { readdirSync, symlinkSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Collection } from '../src/collection.js';
import { evaluateCollection, readQueryLabels } from '../src/eval/dataset.js';
import { DATASETS_DIR, tempDir } from './helpers/paths.js';

const IMAGENET = path.join(DATASETS_DIR, 'imagenet-100x10');

test('index + eval on a subset of imagenet-100x10 with the real default recipe', async () => {
  // The three classes of the outside queries plus seven more: 100 photos, full resolution.
  const queries = await readQueryLabels(path.join(IMAGENET, 'queries.tsv'), path.join(IMAGENET, 'queries'));
  const all = readdirSync(path.join(IMAGENET, 'images')).sort();
  const classes = [...new Set([...queries.map((q) => q.label), ...all.slice(0, 7)])];
  const dir = tempDir();
  const folder = path.join(dir, 'subset');
  mkdirSync(folder);
  for (const cls of classes) symlinkSync(path.join(IMAGENET, 'images', cls), path.join(folder, cls));

  const c = await Collection.open(path.join(dir, 'col'), { create: true });
  const summary = await c.index(folder);
  assert.equal(summary.indexed, classes.length * 10);
  assert.equal(summary.failed.length, 0);
  const report = await evaluateCollection(c, { queries });
  await c.close();

  const o = report.leaveOneOut.overall;
  assert.equal(report.classes, classes.length);
  // Chance level is 0.1 for P@1 and 0.9 hits@10 here; a working CNN pipeline is far above.
  assert.ok(o.p1 >= 0.7, `P@1 ${o.p1}`);
  assert.ok(o.hits10 >= 5, `hits@10 ${o.hits10}`);
  assert.ok(o.map >= 0.55, `mAP ${o.map}`);
  assert.equal(report.outside?.queries.length, 3);
  assert.ok(report.outside!.overall.hits10 >= 5, `outside hits@10 ${report.outside!.overall.hits10}`);
});
