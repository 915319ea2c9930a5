/**
 * Live collections with real file operations: add and remove in place, a rename and a delete
 * while indexing runs, and `index --watch` following new, changed, moved and deleted files,
 * a file still being copied, and the folder vanishing and coming back.
 * The weight-free classic encoder keeps these fast; the model does not matter here.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Collection } from '../src/collection.js';
import { presetRecipe } from '../src/encode/recipe.js';
import { watchFolder, type WatchEvent } from '../src/live/watch.js';
import { tempDir } from './helpers/paths.js';

const classic = presetRecipe('classic');

async function picture(seed: number, side = 80): Promise<Buffer> {
  const raw = Buffer.alloc(side * side * 3);
  for (let i = 0; i < side * side; i++) {
    const x = i % side, y = Math.floor(i / side);
    raw[i * 3] = (x * seed * 7 + y) & 255;
    raw[i * 3 + 1] = (y * (seed + 3) * 5) & 255;
    raw[i * 3 + 2] = ((x ^ y) * (seed + 11)) & 255;
  }
  return sharp(raw, { raw: { width: side, height: side, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

async function folderOf(n: number): Promise<{ root: string; dir: string }> {
  const base = tempDir('simili-live-');
  const root = path.join(base, 'photos');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  for (let i = 0; i < n; i++) writeFileSync(path.join(root, i % 2 ? 'sub' : '', `img${String(i).padStart(2, '0')}.jpg`), await picture(i + 1));
  return { root, dir: path.join(base, '.simili') };
}

async function paths(c: Collection, status: 'indexed' | 'failed' = 'indexed'): Promise<string[]> {
  return (await c.images({ status })).map((r) => r.path).sort();
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('add and remove in place', () => {
  test('adds files and folders from elsewhere, searchable at once; removes them again', async () => {
    const { root, dir } = await folderOf(6);
    const c = await Collection.open(dir, { create: true });
    try {
      await c.index(root, { recipe: classic });
      const generation = await c.store.generation();
      const elsewhere = tempDir('simili-elsewhere-');
      const extra = path.join(elsewhere, 'extra.jpg');
      writeFileSync(extra, await picture(99));
      mkdirSync(path.join(elsewhere, 'more'));
      writeFileSync(path.join(elsewhere, 'more', 'a.png'), await sharp(await picture(50)).png().toBuffer());
      writeFileSync(path.join(root, 'inside.jpg'), await picture(77));

      const summary = await c.add([extra, path.join(elsewhere, 'more'), path.join(root, 'inside.jpg'), path.join(elsewhere, 'nope.jpg')]);
      assert.equal(summary.indexed, 3);
      assert.equal(summary.failed.length, 1);
      assert.equal(summary.failed[0]!.errorCode, 'NOT_FOUND');
      assert.ok(summary.paths.includes('inside.jpg'), 'a file under the root keeps a root-relative path');
      assert.ok(summary.paths.includes(extra.split(path.sep).join('/')), 'a file elsewhere is kept by absolute path');
      assert.ok((await c.store.generation()) > generation);

      const { hits } = await c.search({ path: extra }, { k: 1 });
      assert.equal(hits[0]?.location, extra);

      // An index run of the root keeps images added from elsewhere.
      const again = await c.index(root);
      assert.equal(again.indexed, 0);
      assert.equal((await paths(c)).length, 9);

      assert.equal(await c.remove([extra]), 1);
      assert.equal(await c.remove([path.join(elsewhere, 'more')]), 1, 'a folder removes everything under it');
      assert.equal(await c.remove(['sub']), 3, 'a catalogue path as ls prints it');
      assert.equal(await c.remove(['never-there.jpg']), 0);
      assert.deepEqual(await paths(c), ['img00.jpg', 'img02.jpg', 'img04.jpg', 'inside.jpg']);
      assert.equal((await c.codes()).ids.length, 4, 'vectors of removed images are gone from search');
    } finally {
      await c.close();
    }
  });

  test('search --add-query stores the query after searching', async () => {
    const { root, dir } = await folderOf(4);
    const c = await Collection.open(dir, { create: true });
    try {
      await c.index(root, { recipe: classic });
      const q = path.join(tempDir(), 'query.jpg');
      writeFileSync(q, await picture(123));
      const first = await c.search({ path: q }, { k: 10, addQuery: true });
      assert.equal(first.hits.length, 4, 'the query cannot find itself');
      assert.deepEqual(first.added?.paths, [q.split(path.sep).join('/')]);
      const second = await c.search({ path: q }, { k: 1 });
      assert.equal(second.hits[0]?.location, q);
      assert.ok(second.hits[0]!.score > 0.999);
    } finally {
      await c.close();
    }
  });
});

describe('index while files move', () => {
  test('a rename and a delete during indexing end up right after the next run', async () => {
    const { root, dir } = await folderOf(24);
    const c = await Collection.open(dir, { create: true });
    try {
      let moved = false;
      const first = await c.index(root, {
        recipe: classic,
        batchSize: 2,
        onProgress: () => {
          if (moved) return;
          moved = true;
          // Synchronous on purpose: the pipeline has files in flight right now.
          renameSync(path.join(root, 'img20.jpg'), path.join(root, 'renamed.jpg'));
          unlinkSync(path.join(root, 'img22.jpg'));
        },
      });
      assert.ok(moved);
      assert.equal(first.aborted, false, 'files vanishing mid-run never abort it');
      const second = await c.index(root);
      const now = await paths(c);
      assert.ok(now.includes('renamed.jpg'));
      assert.ok(!now.includes('img20.jpg'));
      assert.ok(!now.includes('img22.jpg'));
      assert.equal(now.length, 23);
      assert.deepEqual(await paths(c, 'failed'), [], 'failures of vanished files are not left behind');
      assert.equal(second.failed.length, 0);
    } finally {
      await c.close();
    }
  });
});

describe('index --watch', () => {
  test('follows new, changed, moved and deleted files, half-copied files and a vanishing folder', async () => {
    const { root, dir } = await folderOf(4);
    const c = await Collection.open(dir, { create: true });
    await c.index(root, { recipe: classic });
    const events: WatchEvent[] = [];
    // The slow copy below writes every 200 ms: a stability window far longer than that keeps a
    // loaded machine (a pause of 400 ms between two writes) from making a half-copied file look finished.
    const watcher = watchFolder(c, root, { debounceMs: 100, stableMs: 1500, pollMs: 500, onEvent: (e) => events.push(e) });
    try {
      await watcher.ready;
      // New file.
      writeFileSync(path.join(root, 'new.jpg'), await picture(40));
      await waitFor('a new file', async () => (await paths(c)).includes('new.jpg'));

      // Changed file: same path, new bytes.
      const before = (await c.store.getImage('img00.jpg'))!.hash;
      await new Promise((r) => setTimeout(r, 20));
      writeFileSync(path.join(root, 'img00.jpg'), await picture(41));
      await waitFor('a changed file', async () => (await c.store.getImage('img00.jpg'))?.hash !== before);

      // Moved into another folder, and deleted.
      await fs.rename(path.join(root, 'new.jpg'), path.join(root, 'sub', 'moved.jpg'));
      await fs.unlink(path.join(root, 'img02.jpg'));
      await waitFor('a move and a delete', async () => {
        const p = await paths(c);
        return p.includes('sub/moved.jpg') && !p.includes('new.jpg') && !p.includes('img02.jpg');
      });

      // A big file written slowly: never indexed (or failed) half-way.
      const big = await sharp(Buffer.alloc(900 * 900 * 3, 128), { raw: { width: 900, height: 900, channels: 3 } })
        .composite([{ input: await picture(60, 300), left: 100, top: 100 }]).jpeg({ quality: 100 }).toBuffer();
      const handle = await fs.open(path.join(root, 'big.jpg'), 'w');
      const pieces = 8;
      for (let i = 0; i < pieces; i++) {
        await handle.write(big.subarray(Math.floor((i * big.length) / pieces), Math.floor(((i + 1) * big.length) / pieces)));
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(await c.store.getImage('big.jpg'), undefined, `half-written file picked up after piece ${i + 1}`);
      }
      await handle.close();
      await waitFor('the finished copy', async () => (await c.store.getImage('big.jpg'))?.status === 'indexed');
      assert.ok(events.some((e) => e.type === 'waiting'));

      // The folder vanishes: nothing is removed; it comes back with changes: they are picked up.
      const count = (await paths(c)).length;
      const aside = root + '-aside';
      await fs.rename(root, aside);
      await waitFor('the missing root to be noticed', async () => events.some((e) => e.type === 'root-missing'));
      await new Promise((r) => setTimeout(r, 700));
      assert.equal((await paths(c)).length, count, 'a vanished folder empties nothing');
      writeFileSync(path.join(aside, 'while-away.jpg'), await picture(70));
      await fs.rename(aside, root);
      await waitFor('the folder coming back', async () => (await paths(c)).includes('while-away.jpg'));
      assert.ok(events.some((e) => e.type === 'root-back'));
      // And it is watched again (not only polled).
      writeFileSync(path.join(root, 'after.jpg'), await picture(71));
      await waitFor('a file after the return', async () => (await paths(c)).includes('after.jpg'));
      assert.deepEqual(await paths(c, 'failed'), []);
    } finally {
      await watcher.close();
      await c.close();
    }
  });
});
