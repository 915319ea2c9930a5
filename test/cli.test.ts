import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cliArgs, DATASETS_DIR, ROOT, tempDir } from './helpers/paths.js';

function simili(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  // The user cache (eval's collections) goes to the test's folder, not the real home.
  const env = { ...process.env, SIMILI_COLLECTION: '', XDG_CACHE_HOME: path.join(cwd, 'cache') };
  const r = spawnSync(process.execPath, cliArgs(...args), { cwd, encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A small photo folder from corel-1k: two classes that a CNN tells apart easily. */
function photos(dir: string): string {
  const out = path.join(dir, 'photos');
  for (const cls of ['3_buses', '7_horses']) {
    const src = path.join(DATASETS_DIR, 'corel-1k', 'images', cls);
    for (const f of readdirSync(src).sort().slice(0, 8)) cpSync(path.join(src, f), path.join(out, cls, f));
  }
  writeFileSync(path.join(out, 'broken.jpg'), 'not really a jpeg');
  return out;
}

test('index + search as a new user types them, with the real default model', () => {
  const dir = tempDir();
  photos(dir);
  const index = simili(dir, 'index', './photos');
  assert.equal(index.status, 3, `exit 3 = finished with a failed file\n${index.stderr}`);
  assert.match(index.stderr, /16 indexed/);
  assert.match(index.stderr, /broken\.jpg: /);
  assert.ok(existsSync(path.join(dir, '.simili', 'catalogue.sqlite')));
  const info = simili(dir, 'info');
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /images\s+16 indexed, 1 failed/);
  assert.match(info.stdout, /search\s+exact scan of every code \(approximate search from 50,000 indexed images\)/);

  const query = path.join(dir, 'photos', '7_horses', readdirSync(path.join(dir, 'photos', '7_horses')).sort()[0]!);
  const search = simili(dir, 'search', query, '--json', '-k', '5');
  assert.equal(search.status, 0, search.stderr);
  const result = JSON.parse(search.stdout) as { hits: Array<{ path: string; score: number; rank: number }> };
  assert.equal(result.hits.length, 5);
  assert.deepEqual(result.hits.map((h) => h.rank), [1, 2, 3, 4, 5]);
  assert.ok(result.hits.every((h) => h.path.startsWith('7_horses/')), 'all five nearest are horses');
  for (let i = 1; i < result.hits.length; i++) assert.ok(result.hits[i - 1]!.score >= result.hits[i]!.score);

  // The plain table, and the HTML page with embedded thumbnails.
  const table = simili(path.join(dir, 'photos'), 'search', query, '--html', path.join(dir, 'out.html'));
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout.split('\n')[0]!, /rank\s+similarity\s+id\s+image/);
  // Re-ranked, the re-ranker's score joins the table.
  const reranked = simili(path.join(dir, 'photos'), 'search', query, '-k', '3', '--rerank', 'ssim');
  assert.equal(reranked.status, 0, reranked.stderr);
  assert.match(reranked.stdout.split('\n')[0]!, /rank\s+similarity\s+score\s+id\s+image/);
  const html = readFileSync(path.join(dir, 'out.html'), 'utf8');
  assert.equal((html.match(/<figure>/g) ?? []).length, 11);
  assert.match(html, /data:image\/webp;base64,/);
});

test('`npx simili`, as the README has a new user type it, runs the built bin', () => {
  // npm ci builds dist/ (prepare); npx runs the package's own bin file, which must be executable.
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const r = spawnSync('npx', ['--no-install', 'simili', '--version'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('index --no-thumbnails --no-grey stores codes only, and the settings stay for later runs', async () => {
  const dir = tempDir();
  photos(dir);
  const r = simili(dir, 'index', './photos', '--preset', 'classic', '--no-thumbnails', '--no-grey');
  assert.equal(r.status, 3, r.stderr);
  const { Collection } = await import('../src/collection.js');
  const c = await Collection.open(path.join(dir, '.simili'));
  const hashes = (await c.images()).flatMap((i) => (i.hash ? [i.hash] : []));
  assert.equal(hashes.length, 17);
  assert.equal((await c.store.getImageData('thumb-v1', hashes)).size, 0);
  assert.equal((await c.store.getImageData('grey128-v1', hashes)).size, 0);
  assert.deepEqual(await c.settings(), { thumbnails: false, grey: false });
  await c.close();
});

test('clear errors and exit codes', () => {
  const dir = tempDir();
  const none = simili(dir, 'search', 'x.jpg');
  assert.equal(none.status, 1);
  assert.match(none.stderr, /No collection here.*simili index/);
  const usage = simili(dir, 'search', 'x.jpg', '-k', 'ten');
  assert.equal(usage.status, 2);
  const missing = simili(dir, 'index', './nope');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /Not a folder/);
});

test('eval reports leave-one-out metrics as JSON', () => {
  const dir = tempDir();
  const folder = photos(dir);
  const r = simili(dir, '--collection', path.join(dir, 'evalcol'), 'eval', folder, '--json');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { evaluated: number; classes: number; leaveOneOut: { overall: { p1: number; hits10: number; map: number } } };
  assert.equal(report.evaluated, 16);
  assert.equal(report.classes, 2);
  assert.ok(report.leaveOneOut.overall.p1 >= 0.9, `buses vs horses are easy: P@1 ${report.leaveOneOut.overall.p1}`);
  assert.ok(report.leaveOneOut.overall.map > 0.8);
});

test('eval --compare prints presets side by side, each with its own collection', () => {
  const dir = tempDir();
  const folder = photos(dir);
  const r = simili(dir, 'eval', folder, '--compare', 'classic,fast', '--json');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { presets: Array<{ preset: string; p1: number; map: number; indexRate: number | null }> };
  assert.deepEqual(report.presets.map((p) => p.preset), ['classic', 'fast']);
  assert.ok(report.presets.every((p) => p.indexRate !== null && p.indexRate > 0));
  assert.ok(report.presets[1]!.map > 0.8, 'the CNN separates buses from horses');
  const again = simili(dir, 'eval', folder, '--compare', 'classic,fast');
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /preset\s+P@1\s+hits@10/);
  assert.match(again.stdout, /cached/);
  const bad = simili(dir, 'eval', folder, '--compare', 'fast,nope');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /Expected one of .* for preset but received "nope"/);
});
