import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { DATASETS_DIR, MODELS_DIR, tempDir } from './helpers/paths.js';
import { SQUEEZENET_ZOO_LIKE, zooLike } from './helpers/zoo-like.js';
import { SimiliError } from '../src/errors.js';
import { decodeImage } from '../src/decode/decode.js';
import { MODELS, type DownloadSource, type ModelEntry } from '../src/encode/manifest.js';
import { exposeFeatures, modelMetadata, summarizeGraph, type ExposeFeaturesSpec } from '../src/encode/onnx-graph.js';
import { resolveModel } from '../src/encode/models.js';
import { createEncoder } from '../src/encode/create.js';
import { presetRecipe } from '../src/encode/recipe.js';
import { normalisationTable, prepareImage, toNchw } from '../src/encode/preprocess.js';

const SQUEEZENET = MODELS['squeezenet1.1'];
const SHARED = readFileSync(path.join(MODELS_DIR, ...SQUEEZENET.file.split('/')));
/** The shared squeezenet1.1.onnx as the zoo publishes it: input `data`, fixed 1x3x224x224, logits only. */
const ZOO = zooLike(SHARED, SQUEEZENET_ZOO_LIKE);
const ZOO_SHA256 = createHash('sha256').update(ZOO).digest('hex');
const IMAGE = path.join(DATASETS_DIR, 'imagenet-100x10', 'images', 'n01440764', 'n01440764_11170.JPEG');

const SPEC: ExposeFeaturesSpec = {
  sourceInput: 'data',
  featureTensor: 'squeezenet0_concat7',
  logitsTensor: 'squeezenet0_flatten0_reshape0',
  inputName: 'input',
  outputs: { features: 'features', embedding: 'embedding', logits: 'logits' },
};

/** A manifest entry of the test's own: no file of its own anywhere, only a zoo-style source. */
function testEntry(source: Partial<DownloadSource> & { url: string }): ModelEntry {
  return {
    ...SQUEEZENET,
    id: 'test-squeezenet',
    file: 'test-squeezenet/test-squeezenet.onnx',
    sha256: '0'.repeat(64),
    url: null,
    download: {
      file: 'test-squeezenet/squeezenet1.1-7.onnx',
      sha256: ZOO_SHA256,
      bytes: ZOO.length,
      checksumFrom: 'test',
      input: 'data',
      features: 'squeezenet0_concat7',
      logits: 'squeezenet0_flatten0_reshape0',
      ...source,
    },
  };
}

/** A real image through the encoder's own preprocessing, at `size` with `policy`. */
async function imageTensor(policy: 'center-crop' | 'keep-aspect', size: number): Promise<ort.Tensor> {
  const img = await prepareImage(await decodeImage(IMAGE), policy, size);
  const { data, dims } = toNchw([img], normalisationTable(SQUEEZENET.normalisation));
  return new ort.Tensor('float32', data, dims);
}

async function outputs(model: Uint8Array | string, input: ort.Tensor): Promise<Record<string, { dims: readonly number[]; data: Float32Array }>> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    const result = await session.run({ input }, ['features', 'embedding', 'logits']);
    return Object.fromEntries(Object.entries(result).map(([k, t]) => [k, { dims: t.dims, data: t.data as Float32Array }]));
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<SimiliError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SimiliError, `expected a SimiliError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

/**
 * 127.0.0.1 server: `/zoo/<name>` answers 302 to `/files/<name>`, which serves `files[name]`.
 * Records every request path.
 */
async function serveWithRedirect(files: Record<string, Uint8Array>): Promise<{ server: Server; base: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    hits.push(url);
    if (url.startsWith('/zoo/')) {
      res.writeHead(302, { location: `/files/${url.slice('/zoo/'.length)}` }).end();
      return;
    }
    const body = url.startsWith('/files/') ? files[url.slice('/files/'.length)] : undefined;
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(Buffer.from(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name).sort();
}

test('the zoo-shaped copy really is fixed-size and logits-only, like the zoo file', async () => {
  const summary = summarizeGraph(ZOO);
  assert.deepEqual(summary.inputs, [{ name: 'data', elemType: 1, dims: [1, 3, 224, 224] }]);
  assert.deepEqual(summary.outputs.map((o) => o.name), ['squeezenet0_flatten0_reshape0']);
  assert.ok(summary.nodeOutputs.includes('squeezenet0_concat7'));
  const session = await ort.InferenceSession.create(ZOO);
  try {
    await assert.rejects(session.run({ data: new ort.Tensor('float32', new Float32Array(2 * 3 * 224 * 224), [2, 3, 224, 224]) }));
  } finally {
    await session.release();
  }
});

test('rewrite exposes the inner feature map: features, embedding and logits equal the shared graph on a real image', async () => {
  const rewritten = exposeFeatures(ZOO, { ...SPEC, metadata: { 'simili.test': 'yes' } });
  assert.deepEqual(summarizeGraph(rewritten).inputs, [{ name: 'input', elemType: 1, dims: ['N', 3, 'H', 'W'] }]);
  assert.deepEqual(
    summarizeGraph(rewritten).outputs.map((o) => o.name),
    ['squeezenet0_flatten0_reshape0', 'embedding', 'features', 'logits'],
  );
  assert.equal(modelMetadata(rewritten)['simili.test'], 'yes');

  // Native size (what the zoo file accepts) and a keep-aspect size it did not: dims are symbolic now.
  for (const [policy, size] of [['center-crop', 224], ['keep-aspect', 256]] as const) {
    const input = await imageTensor(policy, size);
    const mine = await outputs(rewritten, input);
    const theirs = await outputs(SHARED, input);
    // Logits only at the native size: the zoo classifier ends in a fixed 13x13 average pool.
    for (const name of policy === 'center-crop' ? ['features', 'embedding', 'logits'] : ['features', 'embedding']) {
      assert.deepEqual(mine[name]!.dims, theirs[name]!.dims, `${name} at ${policy} ${size}`);
      assert.ok(maxAbsDiff(mine[name]!.data, theirs[name]!.data) <= 1e-5, `${name} at ${policy} ${size}`);
    }
    assert.deepEqual(mine.features!.dims.slice(0, 2), [1, 512]);
    if (policy === 'center-crop') assert.deepEqual(mine.features!.dims.slice(2), [13, 13]);
    else assert.notEqual(mine.features!.dims[2], mine.features!.dims[3], 'a non-square input gives a non-square map');
  }
});

test('rewrite refuses graphs that lack the named tensors or already use the new names', () => {
  const rewrite = (bytes: Uint8Array, spec: Partial<ExposeFeaturesSpec>) => () => exposeFeatures(bytes, { ...SPEC, ...spec });
  assert.throws(rewrite(ZOO, { featureTensor: 'no_such_tensor' }), (e: unknown) => e instanceof SimiliError && e.code === 'MODEL_UNAVAILABLE' && /no_such_tensor/.test(e.message));
  assert.throws(rewrite(ZOO, { sourceInput: 'image' }), (e: unknown) => e instanceof SimiliError && /inputs are data/.test(e.message));
  // The shared graph already has `features`: rewriting it must not produce two tensors of one name.
  assert.throws(rewrite(SHARED, { sourceInput: 'input', inputName: 'input', featureTensor: 'concat_60', logitsTensor: 'logits' }), /already has a tensor named/);
  assert.throws(rewrite(Buffer.from('not an onnx file at all'), {}), (e: unknown) => e instanceof SimiliError && e.code === 'MODEL_UNAVAILABLE');
});

test('download (through a redirect) + sha256 + rewrite into the cache, then reuse without the network', async () => {
  const { server, base, hits } = await serveWithRedirect({ 'squeezenet1.1-7.onnx': ZOO });
  try {
    const entry = testEntry({ url: `${base}/zoo/squeezenet1.1-7.onnx` });
    const cacheDir = tempDir('simili-derive-');
    const modelsDir = tempDir('simili-empty-models-');
    const first = await resolveModel(entry, { cacheDir, modelsDir });
    assert.equal(first.source, 'derived');
    assert.equal(first.path, path.join(cacheDir, 'test-squeezenet', 'squeezenet1.1-7.simili.onnx'));
    assert.deepEqual(hits, ['/zoo/squeezenet1.1-7.onnx', '/files/squeezenet1.1-7.onnx']);
    // The downloaded original, the derived graph and its sidecar; no temporary file left over.
    assert.deepEqual(filesUnder(cacheDir), ['squeezenet1.1-7.onnx', 'squeezenet1.1-7.simili.json', 'squeezenet1.1-7.simili.onnx']);
    const sidecar = JSON.parse(readFileSync(path.join(cacheDir, 'test-squeezenet', 'squeezenet1.1-7.simili.json'), 'utf8')) as { sha256: string; source: { sha256: string } };
    assert.equal(sidecar.source.sha256, ZOO_SHA256);
    assert.equal(sidecar.sha256, createHash('sha256').update(readFileSync(first.path)).digest('hex'));
    assert.equal(modelMetadata(readFileSync(first.path))['simili.derived_from'], entry.download!.url);

    const input = await imageTensor('center-crop', 224);
    const mine = await outputs(first.path, input);
    const theirs = await outputs(SHARED, input);
    assert.ok(maxAbsDiff(mine.embedding!.data, theirs.embedding!.data) <= 1e-5);

    // Second lookup: the derived file, verified by its sidecar; no request.
    assert.deepEqual(await resolveModel(entry, { cacheDir, modelsDir }), { path: first.path, source: 'cache' });
    assert.equal(hits.length, 2);
    // A damaged derived file is made again from the cached original, still without a request.
    writeFileSync(first.path, 'damaged');
    assert.deepEqual(await resolveModel(entry, { cacheDir, modelsDir, allowDownload: false }), { path: first.path, source: 'derived' });
    assert.equal(hits.length, 2);
    assert.equal(createHash('sha256').update(readFileSync(first.path)).digest('hex'), sidecar.sha256);

    // `--model` may name the zoo file itself.
    const explicitCache = tempDir('simili-derive-explicit-');
    const explicit = await resolveModel(entry, { modelPath: path.join(cacheDir, 'test-squeezenet', 'squeezenet1.1-7.onnx'), cacheDir: explicitCache });
    assert.equal(explicit.source, 'derived');
    assert.ok(explicit.path.startsWith(explicitCache));
  } finally {
    server.close();
  }
});

test('a download with the wrong sha256 is refused and leaves nothing in the cache', async () => {
  const { server, base } = await serveWithRedirect({ 'squeezenet1.1-7.onnx': ZOO });
  try {
    const cacheDir = tempDir('simili-derive-bad-');
    const entry = testEntry({ url: `${base}/zoo/squeezenet1.1-7.onnx`, sha256: 'f'.repeat(64) });
    const err = await rejectsWith(resolveModel(entry, { cacheDir, modelsDir: tempDir() }), 'CHECKSUM_MISMATCH');
    assert.match(err.message, new RegExp(ZOO_SHA256));
    assert.deepEqual(filesUnder(cacheDir), []);

    // The real manifest entry through a mirror: its own file is missing (404), the zoo file the
    // mirror serves is not the zoo's (other sha256), so nothing is derived from it.
    const realCache = tempDir('simili-derive-real-');
    const { server: m, base: mirrorBase, hits } = await serveWithRedirect({ 'squeezenet1.1/squeezenet1.1-7.onnx': ZOO });
    try {
      await rejectsWith(resolveModel(SQUEEZENET, { cacheDir: realCache, modelsDir: tempDir(), baseUrl: `${mirrorBase}/zoo` }), 'CHECKSUM_MISMATCH');
      assert.deepEqual(hits, ['/zoo/squeezenet1.1/squeezenet1.1.onnx', '/files/squeezenet1.1/squeezenet1.1.onnx', '/zoo/squeezenet1.1/squeezenet1.1-7.onnx', '/files/squeezenet1.1/squeezenet1.1-7.onnx']);
      assert.deepEqual(filesUnder(realCache), []);
    } finally {
      m.close();
    }
  } finally {
    server.close();
  }
});

test('the implicit default falls back to the zoo MobileNetV2 when the TF one cannot be had, and says so', async () => {
  const modelsDir = tempDir('simili-zoo-only-');
  const zoo = MODELS['mobilenetv2-zoo'];
  mkdirSync(path.join(modelsDir, 'mobilenetv2-zoo'));
  symlinkSync(path.join(MODELS_DIR, ...zoo.file.split('/')), path.join(modelsDir, ...zoo.file.split('/')));
  const options = { modelsDir, cacheDir: tempDir(), allowDownload: false, threads: 1 };

  const warnings: string[] = [];
  const { encoder, recipe } = await createEncoder(presetRecipe('fast'), { ...options, fallback: true, warn: (m) => warnings.push(m) });
  try {
    assert.deepEqual(recipe.models, ['mobilenetv2-zoo']);
    assert.equal(encoder.dim, 1280);
    assert.match(encoder.id, /^mobilenetv2-zoo\//);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /mobilenetv2-tf .*unavailable; using mobilenetv2-zoo/);
  } finally {
    await encoder.close();
  }
  // Asked for explicitly, the TF model is not silently replaced.
  await rejectsWith(createEncoder(presetRecipe('fast'), { ...options, fallback: false }), 'MODEL_UNAVAILABLE');
});
