/**
 * The HTTP API against a real server on 127.0.0.1 over a small real collection (corel-1k photos
 * plus generated images, indexed with MobileNetV2): searches of every kind, and every kind of
 * bad request answering the right status with a JSON error.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Collection } from '../src/collection.js';
import { createApp } from '../src/server/app.js';
import type { SearchResponse } from '../src/server/routes/search.js';
import type { ImageListResponse } from '../src/server/routes/images.js';
import type { StatsResponse } from '../src/server/routes/stats.js';
import { sniffImageType } from '../src/server/body.js';
import { tokenMatches } from '../src/server/auth.js';
import { rawRequest } from './helpers/http-raw.js';
import { CLASSES, COREL, outsidePhoto, PER_CLASS, startFixture, type Fixture } from './helpers/serve-fixture.js';
import { makeImage } from './helpers/images.js';
import path from 'node:path';
import { DEFAULT_PRESET } from '../src/encode/recipe.js';

const TOKEN = 'test-token-1234';
let fx: Fixture;
let photoServer: http.Server;
let photoBase: string;

interface ErrorJson {
  error: { code: string; message: string };
}

async function call(p: string, init?: RequestInit): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(new URL(p, fx.server.url), init);
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

async function expectError(p: string, init: RequestInit | undefined, status: number, code: string): Promise<ErrorJson> {
  const r = await call(p, init);
  assert.equal(r.status, status, `${init?.method ?? 'GET'} ${p}: ${JSON.stringify(r.json)}`);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  const body = r.json as ErrorJson;
  assert.equal(body.error.code, code, JSON.stringify(body));
  assert.ok(body.error.message.length > 0);
  return body;
}

function classOf(hitPath: string): string {
  return hitPath.split('/')[0]!;
}

before(async () => {
  fx = await startFixture({ token: TOKEN });
  // A local "web" for URL queries: a photo, an HTML page and a 404.
  photoServer = http.createServer((req, res) => {
    if (req.url === '/horse.jpg') {
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(outsidePhoto('7_horses'));
    } else if (req.url === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not an image</html>');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => photoServer.listen(0, '127.0.0.1', resolve));
  photoBase = `http://127.0.0.1:${(photoServer.address() as AddressInfo).port}`;
});

after(async () => {
  await fx?.close();
  await new Promise((resolve) => photoServer?.close(resolve));
});

describe('reading', () => {
  test('stats name the model, recipe, dimension and counts', async () => {
    const r = await call('/api/stats');
    assert.equal(r.status, 200);
    const s = r.json as StatsResponse;
    assert.equal(s.images, fx.total);
    assert.equal(s.indexed, fx.total);
    assert.equal(s.model, 'mobilenetv2-tf');
    assert.equal(s.recipe?.name, DEFAULT_PRESET);
    assert.equal(s.dim, 1280);
    assert.equal(s.features.write, true);
    // A small collection: every search scans; the approximate index starts at the default threshold.
    assert.deepEqual(s.search, { mode: 'scan', threshold: 50_000, storage: 'i8', graphVectors: null });
  });

  test('browse pages through every image once, ordered by id', async () => {
    const seen: number[] = [];
    for (let offset = 0; offset < fx.total; offset += 10) {
      const r = await call(`/api/images?limit=10&offset=${offset}`);
      assert.equal(r.status, 200);
      const page = r.json as ImageListResponse;
      assert.equal(page.total, fx.total);
      seen.push(...page.images.map((i) => i.id));
    }
    assert.equal(seen.length, fx.total);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
    assert.equal(new Set(seen).size, fx.total);
  });

  test('image file and thumbnail are served by id, as images', async () => {
    const file = await fetch(new URL('/api/images/1/file', fx.server.url));
    assert.equal(file.status, 200);
    const bytes = Buffer.from(await file.arrayBuffer());
    assert.equal(file.headers.get('content-type'), 'image/jpeg');
    assert.equal(sniffImageType(bytes), 'image/jpeg');
    const thumb = await fetch(new URL('/api/images/1/thumb', fx.server.url));
    assert.equal(thumb.status, 200);
    const tb = Buffer.from(await thumb.arrayBuffer());
    assert.ok(tb.length > 100 && tb.length < bytes.length, `thumbnail of ${tb.length} bytes`);
    assert.equal(thumb.headers.get('content-type'), sniffImageType(tb));
    const etag = thumb.headers.get('etag')!;
    const again = await fetch(new URL('/api/images/1/thumb', fx.server.url), { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
  });

  test('openapi.json is an OpenAPI 3.1 document covering the routes', async () => {
    const r = await call('/openapi.json');
    assert.equal(r.status, 200);
    const doc = r.json as { openapi: string; paths: Record<string, unknown> };
    assert.equal(doc.openapi, '3.1.0');
    for (const p of ['/api/search', '/api/stats', '/api/images', '/api/images/{id}/thumb']) assert.ok(p in doc.paths, p);
  });

  test('the page and its assets are served with a strict CSP', async () => {
    const page = await fetch(fx.server.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await page.text(), /<script src="\/assets\/app.js" defer>/);
    const js = await fetch(new URL('/assets/app.js', fx.server.url));
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    // Parses as a script: the page would be dead otherwise.
    const source = await js.text();
    assert.doesNotThrow(() => new Function(source));
  });
});

describe('searching', () => {
  test('raw image/* upload finds the query class first', async () => {
    const r = await call('/api/search?k=5', { method: 'POST', headers: { 'content-type': 'image/jpeg', 'x-file-name': 'dino%20query.jpg' }, body: outsidePhoto('4_dinosaurs') });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const s = r.json as SearchResponse;
    assert.equal(s.hits.length, 5);
    assert.equal(s.query.kind, 'upload');
    assert.equal(s.query.label, 'dino query.jpg');
    assert.equal(classOf(s.hits[0]!.path), '4_dinosaurs');
    assert.ok(s.hits.every((h, i) => i === 0 || h.score <= s.hits[i - 1]!.score));
    assert.equal(s.scanned, fx.total);
  });

  test('multipart upload (field "image") with k and threshold as form fields', async () => {
    const form = new FormData();
    form.append('image', new Blob([outsidePhoto('0_africa', 1)], { type: 'image/jpeg' }), 'africa.jpg');
    form.append('k', '4');
    const r = await call('/api/search', { method: 'POST', body: form });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const s = r.json as SearchResponse;
    assert.equal(s.hits.length, 4);
    assert.equal(s.query.label, 'africa.jpg');

    const strict = new FormData();
    strict.append('image', new Blob([outsidePhoto('0_africa', 1)], { type: 'image/jpeg' }), 'africa.jpg');
    strict.append('threshold', '0.99');
    const none = await call('/api/search', { method: 'POST', body: strict });
    assert.equal((none.json as SearchResponse).hits.length, 0);
  });

  test('by URL, on a local web server (query string and JSON)', async () => {
    const r = await call(`/api/search?k=3&url=${encodeURIComponent(`${photoBase}/horse.jpg`)}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const s = r.json as SearchResponse;
    assert.equal(s.query.kind, 'url');
    assert.equal(s.hits.length, 3);
    assert.equal(classOf(s.hits[0]!.path), '7_horses');
    const j = await call('/api/search', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `${photoBase}/horse.jpg`, k: 2 }) });
    assert.equal((j.json as SearchResponse).hits.length, 2);
    await expectError(`/api/search?url=${encodeURIComponent(`${photoBase}/page.html`)}`, undefined, 415, 'UNSUPPORTED_FORMAT');
    await expectError(`/api/search?url=${encodeURIComponent(`${photoBase}/missing.jpg`)}`, undefined, 502, 'DOWNLOAD_FAILED');
    await expectError(`/api/search?url=${encodeURIComponent('file:///etc/passwd')}`, undefined, 400, 'INVALID_PARAMETER');
  });

  test('by id: more like an image of the collection, never itself', async () => {
    const list = (await call('/api/images?limit=100')).json as ImageListResponse;
    const dino = list.images.find((i) => i.path.startsWith('4_dinosaurs/'))!;
    const r = await call(`/api/search?id=${dino.id}&k=${PER_CLASS - 1}`);
    assert.equal(r.status, 200);
    const s = r.json as SearchResponse;
    assert.equal(s.query.id, dino.id);
    assert.equal(s.hits.length, PER_CLASS - 1);
    assert.ok(!s.hits.some((h) => h.id === dino.id));
    assert.ok(s.hits.filter((h) => classOf(h.path) === '4_dinosaurs').length >= PER_CLASS - 2, JSON.stringify(s.hits.map((h) => h.path)));
    await expectError('/api/search?id=99999', undefined, 404, 'NOT_FOUND');
  });
});

test('re-ranking and category options pass through to the library', async () => {
  const r = await call('/api/search?id=1&k=5&rerank=ssim&rerankTop=20');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const s = r.json as SearchResponse;
  assert.equal(s.hits.length, 5);
  assert.equal(typeof s.timings.rerankMs, 'number');
  const j = await call('/api/search', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 1, k: 3, rerank: 'none', exact: true }) });
  assert.equal(j.status, 200, JSON.stringify(j.json));
  await expectError('/api/search?id=1&rerank=bogus', undefined, 400, 'INVALID_PARAMETER');
  await expectError('/api/search?id=1&rerankTop=5', undefined, 400, 'INVALID_PARAMETER');
  await expectError('/api/search?id=1&byCategory=maybe', undefined, 400, 'INVALID_PARAMETER');
  await expectError('/api/search?id=1&byCategory=true&categoryMass=2', undefined, 400, 'INVALID_PARAMETER');
  await expectError('/api/search?id=1&byCategory=true&categoryMass=0.5&topCategories=2', undefined, 400, 'INVALID_PARAMETER');

  const gated = await call('/api/search', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: outsidePhoto('4_dinosaurs', 2) });
  assert.equal(gated.status, 200);
  const byCat = await call('/api/search?k=3&byCategory=true&topCategories=4', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: outsidePhoto('4_dinosaurs', 2) });
  assert.equal(byCat.status, 200, JSON.stringify(byCat.json));
  const gate = (byCat.json as SearchResponse).gate;
  assert.ok(gate && gate.mode === 'predicted', JSON.stringify(gate));
  const byMass = await call('/api/search?id=1&k=3&byCategory=true&categoryMass=0.5');
  assert.equal(byMass.status, 200, JSON.stringify(byMass.json));
  assert.equal((byMass.json as SearchResponse).gate?.mode, 'predicted');
  const explicit = await call('/api/search?id=1&k=3&category=zebra');
  assert.equal(explicit.status, 200, JSON.stringify(explicit.json));
  assert.equal((explicit.json as SearchResponse).gate?.mode, 'explicit');
});

describe('bad requests answer a status and a JSON error', () => {
  test('empty bodies', async () => {
    await expectError('/api/search', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(0) }, 400, 'EMPTY_FILE');
    await expectError('/api/search', { method: 'POST' }, 400, 'EMPTY_FILE');
  });

  test('a 50 MB body is refused with 413 while streaming, declared or chunked', async () => {
    const big = 50 * 1024 * 1024;
    const declared = await rawRequest(fx.server.url, {
      method: 'POST', path: '/api/search', headers: { 'content-type': 'image/jpeg', 'content-length': String(big) }, bodyBytes: big,
    });
    assert.equal(declared.status, 413);
    assert.equal((JSON.parse(declared.body.toString()) as ErrorJson).error.code, 'PAYLOAD_TOO_LARGE');
    assert.ok(declared.sentBeforeResponse < big, `answered after ${declared.sentBeforeResponse} bytes`);

    // No Content-Length: the limit must be counted on the stream, answering long before 50 MB.
    const chunked = await rawRequest(fx.server.url, {
      method: 'POST', path: '/api/search', headers: { 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' }, bodyBytes: big,
    });
    assert.equal(chunked.status, 413);
    assert.equal((JSON.parse(chunked.body.toString()) as ErrorJson).error.code, 'PAYLOAD_TOO_LARGE');
    assert.ok(chunked.sentBeforeResponse < 40 * 1024 * 1024, `answered after ${chunked.sentBeforeResponse} bytes`);
  });

  test('wrong content types and bytes that are not an image', async () => {
    await expectError('/api/search', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }, 415, 'UNSUPPORTED_MEDIA_TYPE');
    // Claims to be a JPEG, is not: the magic bytes decide.
    await expectError('/api/search', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: '<svg onload=alert(1)>' }, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const form = new FormData();
    form.append('image', new Blob(['#!/bin/sh\necho hi\n'], { type: 'image/png' }), 'x.png');
    await expectError('/api/search', { method: 'POST', body: form }, 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectError('/api/search', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' }, 400, 'INVALID_PARAMETER');
  });

  test('a corrupt JPEG', async () => {
    const jpeg = outsidePhoto('7_horses');
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 3));
    await expectError('/api/search', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: truncated }, 422, 'CORRUPT_IMAGE');
    const garbage = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x42)]);
    const r = await call('/api/search', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: garbage });
    assert.ok([415, 422].includes(r.status), `status ${r.status}`);
    assert.ok((r.json as ErrorJson).error.code);
  });

  test('bad parameters use the library message', async () => {
    const e = await expectError('/api/search?id=1&k=abc', undefined, 400, 'INVALID_PARAMETER');
    assert.match(e.error.message, /Expected an integer between 1 and \d+ for k but received "abc"/);
    await expectError('/api/search?id=1&k=0', undefined, 400, 'INVALID_PARAMETER');
    await expectError('/api/search?id=1&threshold=2', undefined, 400, 'INVALID_PARAMETER');
    await expectError('/api/search?id=1&bogus=1', undefined, 400, 'INVALID_PARAMETER');
    await expectError('/api/search?id=1&url=http://x/', undefined, 400, 'INVALID_PARAMETER');
    await expectError('/api/images?limit=100000', undefined, 400, 'INVALID_PARAMETER');
    await expectError('/api/nothing-here', undefined, 404, 'NOT_FOUND');
  });

  test('path traversal in image URLs never reaches the file system', async () => {
    for (const p of [
      '/api/images/..%2F..%2Fetc%2Fpasswd',
      '/api/images/..%2F..%2Fetc%2Fpasswd/file',
      '/api/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd/thumb',
      '/api/images/1%2F..%2F..%2Fx/file',
      '/api/images/-1/file',
      '/api/images/1.5/file',
      '/api/images/0x10/file',
    ]) {
      await expectError(p, undefined, 400, 'INVALID_PARAMETER');
    }
    // Sent verbatim (fetch would resolve the dots itself).
    for (const p of ['/api/images/1/../../x', '/api/images/1/file/../../../../etc/passwd', '/../../../etc/passwd', '/api/images/1/..%2F..%2F..%2Fetc%2Fpasswd']) {
      const r = await rawRequest(fx.server.url, { path: p });
      assert.ok([400, 404].includes(r.status), `${p}: ${r.status}`);
      const body = JSON.parse(r.body.toString()) as ErrorJson;
      assert.ok(body.error.code, p);
      assert.doesNotMatch(r.body.toString(), /root:/);
    }
    await expectError('/api/images/99999/file', undefined, 404, 'NOT_FOUND');
  });

  test('a request over its time budget answers 503 TIMEOUT', async () => {
    const app = createApp(fx.collection, { timeoutMs: 1 });
    const res = await app.request('/api/search?k=3', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: outsidePhoto('0_africa', 2) });
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as ErrorJson).error.code, 'TIMEOUT');
  });
});

describe('writing', () => {
  test('write endpoints are off without a configured token', async () => {
    const app = createApp(fx.collection, {});
    const res = await app.request('/api/images/1', { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as ErrorJson).error.code, 'WRITE_DISABLED');
  });

  test('a missing or wrong token is refused', async () => {
    await expectError('/api/images/1', { method: 'DELETE' }, 401, 'UNAUTHORIZED');
    await expectError('/api/images/1', { method: 'DELETE', headers: { authorization: 'Bearer nope' } }, 401, 'UNAUTHORIZED');
    await expectError('/api/images/1', { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}x` } }, 401, 'UNAUTHORIZED');
    await expectError('/api/images', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: outsidePhoto('0_africa') }, 401, 'UNAUTHORIZED');
    assert.equal(tokenMatches(TOKEN, TOKEN), true);
    assert.equal(tokenMatches('', TOKEN), false);
  });

  test('add an upload, find it, remove it', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const photo = await makeImage(4242, 200, 150);
    const added = await call('/api/images', { method: 'POST', headers: { ...auth, 'content-type': 'image/jpeg', 'x-file-name': 'new.jpg' }, body: photo });
    assert.equal(added.status, 201, JSON.stringify(added.json));
    const image = (added.json as { images: Array<{ id: number }> }).images[0]!;
    const found = (await call('/api/search?k=1', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: photo })).json as SearchResponse;
    assert.equal(found.hits[0]!.id, image.id);
    assert.ok(found.hits[0]!.score > 0.99);
    // A server path is never something a client may add.
    await expectError('/api/images', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ path: '/etc/passwd' }) }, 400, 'INVALID_PARAMETER');
    await expectError('/api/images', { method: 'POST', headers: { ...auth, 'content-type': 'image/jpeg' }, body: 'not an image' }, 415, 'UNSUPPORTED_MEDIA_TYPE');

    // addQuery stores the query too, and only with the token.
    const other = await makeImage(4343, 200, 150);
    await expectError('/api/search?k=1&addQuery=true', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: other }, 401, 'UNAUTHORIZED');
    const stored = await call('/api/search?k=1&addQuery=true', { method: 'POST', headers: { ...auth, 'content-type': 'image/jpeg' }, body: other });
    assert.equal(stored.status, 200, JSON.stringify(stored.json));
    const storedImage = (stored.json as SearchResponse).added![0]!;
    assert.ok(!storedImage.path.startsWith('/'), 'no absolute server path in responses');
    assert.equal((await call(`/api/images/${storedImage.id}`, { method: 'DELETE', headers: auth })).status, 200);

    const removed = await call(`/api/images/${image.id}`, { method: 'DELETE', headers: auth });
    assert.equal(removed.status, 200);
    assert.equal((removed.json as { removed: number }).removed, 1);
    await expectError(`/api/images/${image.id}`, undefined, 404, 'NOT_FOUND');
    assert.equal(((await call('/api/stats')).json as StatsResponse).images, fx.total);
  });

  test('an image known by URL: its file redirects, its thumbnail is served here', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const url = `${photoBase}/horse.jpg`;
    const added = await call('/api/images', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
    assert.equal(added.status, 201, JSON.stringify(added.json));
    const image = (added.json as { images: Array<{ id: number; path: string }> }).images[0]!;
    assert.equal(image.path, url);
    const file = await fetch(new URL(`/api/images/${image.id}/file`, fx.server.url), { redirect: 'manual' });
    assert.equal(file.status, 302);
    assert.equal(file.headers.get('location'), url);
    const thumb = await fetch(new URL(`/api/images/${image.id}/thumb`, fx.server.url));
    assert.equal(thumb.status, 200);
    assert.ok(sniffImageType(Buffer.from(await thumb.arrayBuffer())));
    const gone = await call(`/api/images/${image.id}`, { method: 'DELETE', headers: auth });
    assert.equal((gone.json as { removed: number }).removed, 1);
    await expectError('/api/images', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ url: `${photoBase}/missing.jpg` }) }, 502, 'DOWNLOAD_FAILED');
  });

  test('queries keep being answered while another writer adds images', async () => {
    // A second handle on the same catalogue, as `simili index` in another process would be.
    const writer = await Collection.open(fx.dir, { encoder: { allowDownload: false } });
    const extra = CLASSES.map((cls) => path.join(COREL, cls, `${Number(cls.split('_')[0]) * 100 + PER_CLASS + 5}.jpg`));
    try {
      let writing = true;
      const adding = writer.add(extra).finally(() => (writing = false));
      const statuses: number[] = [];
      for (let i = 0; writing || statuses.length < 3; i++) {
        statuses.push((await call(`/api/search?id=${1 + (i % fx.total)}&k=3`)).status);
      }
      const summary = await adding;
      assert.ok(statuses.every((s) => s === 200), JSON.stringify(statuses));
      assert.equal(summary.indexed, extra.length);
      // The server sees the new images without a restart (the catalogue generation changed).
      const s = (await call('/api/stats')).json as StatsResponse;
      assert.equal(s.indexed, fx.total + extra.length);
      const r = (await call('/api/search?k=1', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: outsidePhoto('7_horses', 5) })).json as SearchResponse;
      assert.ok(r.hits[0]!.score > 0.99, JSON.stringify(r.hits[0]));
    } finally {
      await writer.remove(extra);
      await writer.close();
    }
  });
});
