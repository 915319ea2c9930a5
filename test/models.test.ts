import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { MODELS_DIR, tempDir } from './helpers/paths.js';
import { SimiliError } from '../src/errors.js';
import { MODELS, MODEL_IDS, modelEntry, type ModelAsset } from '../src/encode/manifest.js';
import { defaultCacheDir, resolveAsset, sha256File } from '../src/encode/models.js';
import { downloadAsset } from '../src/encode/download.js';
import { createEncoder } from '../src/encode/create.js';
import { presetRecipe } from '../src/encode/recipe.js';

/** A small stand-in model file with a manifest entry of its own. */
function fakeAsset(name = 'fake-model'): { asset: ModelAsset; bytes: Buffer } {
  const bytes = randomBytes(50_000);
  const asset: ModelAsset = {
    file: `${name}/${name}.onnx`,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    url: null,
  };
  return { asset, bytes };
}

function place(dir: string, asset: ModelAsset, bytes: Buffer): string {
  const file = path.join(dir, ...asset.file.split('/'));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  return file;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
}

/** A real HTTP server on 127.0.0.1 serving `routes` (path -> body), 404 otherwise. */
async function serve(routes: Record<string, Buffer>): Promise<{ server: Server; base: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const body = routes[req.url ?? ''];
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    // Several chunks, so progress is reported more than once.
    const chunk = 16_384;
    for (let i = 0; i < body.length; i += chunk) res.write(body.subarray(i, i + chunk));
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}`, hits };
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<SimiliError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SimiliError, `expected SimiliError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

/** Runs `fn` with SIMILI_MODELS_DIR set to `value` (or unset), restoring it afterwards. */
async function withModelsEnv<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.SIMILI_MODELS_DIR;
  if (value === undefined) delete process.env.SIMILI_MODELS_DIR;
  else process.env.SIMILI_MODELS_DIR = value;
  try {
    return await fn();
  } finally {
    process.env.SIMILI_MODELS_DIR = saved;
  }
}

test('manifest lists the shared models with their real sizes and checksums', async () => {
  assert.deepEqual(MODEL_IDS, ['mobilenetv2-tf', 'mobilenetv2-zoo', 'squeezenet1.1']);
  for (const id of MODEL_IDS) {
    const entry = modelEntry(id);
    const file = path.join(MODELS_DIR, ...entry.file.split('/'));
    assert.equal(readFileSync(file).length, entry.bytes, id);
    assert.equal(await sha256File(file), entry.sha256, id);
    assert.equal(entry.licence, 'Apache-2.0');
  }
  const names = MODELS['squeezenet1.1'].classNames;
  assert.equal(await sha256File(path.join(MODELS_DIR, ...names.file.split('/'))), names.sha256);
  assert.throws(() => modelEntry('resnet50'), /Expected one of mobilenetv2-tf, mobilenetv2-zoo, squeezenet1.1 for model but received "resnet50"/);
});

test('lookup order: explicit path, then models dir (option over env), then cache', async () => {
  const { asset, bytes } = fakeAsset();
  const explicitDir = tempDir();
  const envDir = tempDir();
  const optionDir = tempDir();
  const cacheDir = tempDir();
  const explicit = place(explicitDir, asset, bytes);
  const inEnv = place(envDir, asset, bytes);
  const inOption = place(optionDir, asset, bytes);
  const inCache = place(cacheDir, asset, bytes);
  await withModelsEnv(envDir, async () => {
    assert.deepEqual(await resolveAsset(asset, { modelPath: explicit, cacheDir }), { path: explicit, source: 'explicit' });
    assert.deepEqual(await resolveAsset(asset, { cacheDir }), { path: inEnv, source: 'models-dir' });
    assert.deepEqual(await resolveAsset(asset, { cacheDir, modelsDir: optionDir }), { path: inOption, source: 'models-dir' });
    // A models dir that lacks the file falls through to the cache.
    assert.deepEqual(await resolveAsset(asset, { cacheDir, modelsDir: tempDir() }), { path: inCache, source: 'cache' });
  });
  await withModelsEnv(undefined, async () => {
    assert.deepEqual(await resolveAsset(asset, { cacheDir }), { path: inCache, source: 'cache' });
  });
  // An explicit path is never second-guessed by the directories.
  await rejectsWith(resolveAsset(asset, { modelPath: path.join(explicitDir, 'missing.onnx'), cacheDir }), 'NOT_FOUND');
});

test('a found file with other contents is refused, not used', async () => {
  const { asset } = fakeAsset();
  const dir = tempDir();
  place(dir, asset, randomBytes(asset.bytes));
  const err = await rejectsWith(resolveAsset(asset, { modelsDir: dir, cacheDir: tempDir() }), 'CHECKSUM_MISMATCH');
  assert.match(err.message, new RegExp(asset.sha256));
});

test('default cache dir follows XDG_CACHE_HOME, else ~/.cache', () => {
  const saved = process.env.XDG_CACHE_HOME;
  try {
    process.env.XDG_CACHE_HOME = '/var/tmp/xdg';
    assert.equal(defaultCacheDir(), '/var/tmp/xdg/simili/models');
    delete process.env.XDG_CACHE_HOME;
    assert.match(defaultCacheDir(), /\.cache\/simili\/models$/);
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  }
});

test('download from a local HTTP server: progress, checksum, atomic rename into the cache', async () => {
  const { asset, bytes } = fakeAsset();
  const { server, base, hits } = await serve({ '/mirror/fake-model/fake-model.onnx': bytes });
  try {
    const cacheDir = tempDir();
    const progress: Array<[number, number | null]> = [];
    const resolved = await withModelsEnv(undefined, () =>
      resolveAsset(asset, { cacheDir, baseUrl: `${base}/mirror/`, onDownloadProgress: (r, t) => progress.push([r, t]) }),
    );
    assert.equal(resolved.source, 'download');
    assert.equal(resolved.path, path.join(cacheDir, 'fake-model', 'fake-model.onnx'));
    assert.deepEqual(readFileSync(resolved.path), bytes);
    assert.ok(progress.length >= 1);
    assert.deepEqual(progress.at(-1), [bytes.length, bytes.length]);
    assert.deepEqual(listFiles(cacheDir), ['fake-model.onnx'], 'no temporary file left');
    // Second lookup is served from the cache, without touching the network.
    const again = await withModelsEnv(undefined, () => resolveAsset(asset, { cacheDir, baseUrl: base }));
    assert.deepEqual(again, { path: resolved.path, source: 'cache' });
    assert.equal(hits.length, 1);
  } finally {
    await close(server);
  }
});

test('download of the real default model from a local mirror', async () => {
  const entry = modelEntry('mobilenetv2-tf');
  const bytes = readFileSync(path.join(MODELS_DIR, ...entry.file.split('/')));
  const { server, base } = await serve({ [`/${entry.file}`]: bytes });
  try {
    const cacheDir = tempDir();
    const received: number[] = [];
    const file = await downloadAsset({ ...entry, url: `${base}/${entry.file}` }, { dir: cacheDir, onProgress: (r) => received.push(r) });
    assert.equal(await sha256File(file), entry.sha256);
    assert.ok(received.length > 1, 'progress reported per chunk');
    assert.equal(received.at(-1), entry.bytes);
    assert.ok(received.every((r, i) => i === 0 || r > received[i - 1]!), 'monotonic');
  } finally {
    await close(server);
  }
});

test('a wrong checksum is refused and nothing is left in the cache', async () => {
  const { asset } = fakeAsset();
  const { server, base } = await serve({ '/fake-model/fake-model.onnx': randomBytes(asset.bytes) });
  try {
    const cacheDir = tempDir();
    const err = await rejectsWith(
      withModelsEnv(undefined, () => resolveAsset(asset, { cacheDir, baseUrl: base })),
      'CHECKSUM_MISMATCH',
    );
    assert.match(err.message, /Nothing was saved/);
    assert.deepEqual(listFiles(cacheDir), []);
  } finally {
    await close(server);
  }
});

test('HTTP errors are DOWNLOAD_FAILED and leave nothing behind', async () => {
  const { asset } = fakeAsset();
  const { server, base } = await serve({});
  try {
    const cacheDir = tempDir();
    const err = await rejectsWith(withModelsEnv(undefined, () => resolveAsset(asset, { cacheDir, baseUrl: base })), 'DOWNLOAD_FAILED');
    assert.match(err.message, /HTTP 404/);
    assert.deepEqual(listFiles(cacheDir), []);
  } finally {
    await close(server);
  }
});

test('a stalled download times out as DOWNLOAD_FAILED and leaves nothing behind', async () => {
  const { asset, bytes } = fakeAsset();
  const open = new Set<ServerResponse>();
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': bytes.length });
    res.write(bytes.subarray(0, 1000));
    open.add(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const dir = tempDir();
    const url = `http://127.0.0.1:${port}/${asset.file}`;
    const err = await rejectsWith(downloadAsset(asset, { dir, url, idleTimeoutMs: 300 }), 'DOWNLOAD_FAILED');
    assert.match(err.message, /no data for 300 ms/);
    assert.deepEqual(listFiles(dir), []);
  } finally {
    for (const res of open) res.destroy();
    await close(server);
  }
});

test('no server: MODEL_UNAVAILABLE says which file to put where', async () => {
  const { asset } = fakeAsset();
  // A port that was just free: connection refused, as offline as a test can get.
  const { server, base } = await serve({});
  await close(server);
  const cacheDir = tempDir();
  const err = await rejectsWith(withModelsEnv(undefined, () => resolveAsset(asset, { cacheDir, baseUrl: base })), 'MODEL_UNAVAILABLE');
  assert.ok(err.message.includes(path.join(cacheDir, 'fake-model', 'fake-model.onnx')), err.message);
  assert.ok(err.message.includes('SIMILI_MODELS_DIR'), err.message);
  assert.ok(err.message.includes(`${base}/fake-model/fake-model.onnx`), err.message);
  assert.ok(err.message.includes(asset.sha256), err.message);
  assert.deepEqual(listFiles(cacheDir), []);

  const off = await rejectsWith(withModelsEnv(undefined, () => resolveAsset(asset, { cacheDir, allowDownload: false })), 'MODEL_UNAVAILABLE');
  assert.match(off.message, /downloading is turned off/);
});

test('createEncoder falls back to classic with a loud warning only when allowed', async () => {
  const cacheDir = tempDir();
  const warnings: string[] = [];
  await withModelsEnv(tempDir(), async () => {
    const { encoder, recipe } = await createEncoder(presetRecipe('fast'), {
      cacheDir,
      allowDownload: false,
      fallback: true,
      warn: (m) => warnings.push(m),
    });
    try {
      assert.equal(recipe.kind, 'classic');
      assert.equal(warnings.length, 1);
      assert.ok(warnings[0]!.includes(path.join(cacheDir, 'mobilenetv2-tf', 'mobilenetv2-tf-backbone.onnx')), warnings[0]);
      assert.ok(warnings[0]!.includes('SIMILI_MODELS_DIR'));
    } finally {
      await encoder.close();
    }
    await rejectsWith(createEncoder(presetRecipe('fast'), { cacheDir, allowDownload: false }), 'MODEL_UNAVAILABLE');
  });
});

test('createEncoder validates its parameters', async () => {
  await assert.rejects(createEncoder(presetRecipe('fast'), { threads: 0 }), /Expected an integer between 1 and 1024 for threads but received 0/);
  const ensemble = { ...presetRecipe('fast'), models: ['mobilenetv2-tf', 'squeezenet1.1'] };
  await assert.rejects(createEncoder(ensemble, { modelPath: '/x.onnx' }), /for modelPath/);
  await assert.rejects(createEncoder({ ...presetRecipe('fast'), models: ['nope'] }), /for model but received "nope"/);
});
