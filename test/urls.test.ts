/**
 * Images from the web, against a local HTTP server: the happy path, a redirect (followed,
 * the original URL stays the identity), and every way a download goes wrong (slow, huge,
 * wrong content type, 404, a transient 503). Failures are recorded like corrupt files.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { Collection } from '../src/collection.js';
import { fetchImage } from '../src/decode/fetch-image.js';
import { presetRecipe } from '../src/encode/recipe.js';
import { SimiliError } from '../src/errors.js';
import { tempDir } from './helpers/paths.js';

async function picture(seed: number): Promise<Buffer> {
  const w = 96;
  const raw = Buffer.alloc(w * w * 3);
  for (let i = 0; i < w * w; i++) {
    const x = i % w, y = Math.floor(i / w);
    raw[i * 3] = (x * seed * 7) & 255;
    raw[i * 3 + 1] = (y * (seed + 3) * 5) & 255;
    raw[i * 3 + 2] = ((x ^ y) * seed) & 255;
  }
  return sharp(raw, { raw: { width: w, height: w, channels: 3 } }).jpeg().toBuffer();
}

let server: http.Server;
let base: string;
let flakyHits = 0;
const images: Buffer[] = [];

before(async () => {
  for (let i = 1; i <= 3; i++) images.push(await picture(i));
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/ok.jpg') {
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(images[0]);
    } else if (url === '/other.jpg') {
      res.writeHead(200, { 'content-type': 'image/jpeg; charset=binary' }).end(images[1]);
    } else if (url === '/redirect') {
      res.writeHead(302, { location: '/other.jpg' }).end();
    } else if (url === '/slow.jpg') {
      const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(images[0]), 3000);
      res.on('close', () => clearTimeout(timer));
    } else if (url === '/huge.jpg') {
      // No content-length: the limit must hold while streaming.
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      const chunk = Buffer.alloc(64 * 1024, 1);
      let sent = 0;
      const pump = (): void => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => {});
      pump();
    } else if (url === '/declared-huge.jpg') {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(10 * 1024 * 1024) }).end();
    } else if (url === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not an image</html>');
    } else if (url === '/flaky.jpg') {
      flakyHits++;
      if (flakyHits === 1) res.writeHead(503).end('busy');
      else res.writeHead(200, { 'content-type': 'image/jpeg' }).end(images[2]);
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const limits = { timeoutMs: 500, maxBytes: 1024 * 1024, retries: 1 };

describe('fetchImage', () => {
  test('downloads an image and follows redirects', async () => {
    assert.deepEqual(await fetchImage(`${base}/ok.jpg`, limits), images[0]);
    assert.deepEqual(await fetchImage(`${base}/redirect`, limits), images[1]);
  });

  const failures: Array<[string, string, RegExp]> = [
    ['slow', '/slow.jpg', /Timed out after 500 ms/],
    ['huge (streamed)', '/huge.jpg', /over the 1048576-byte limit/],
    ['huge (declared)', '/declared-huge.jpg', /over the 1048576-byte limit/],
    ['wrong content type', '/page.html', /text\/html, not an image/],
    ['404', '/missing.jpg', /HTTP 404/],
  ];
  for (const [what, route, message] of failures) {
    test(`refuses ${what}`, async () => {
      await assert.rejects(fetchImage(`${base}${route}`, limits), (err: unknown) => {
        assert.ok(err instanceof SimiliError, String(err));
        assert.match(err.message, message);
        return true;
      });
    });
  }

  test('retries a transient 503', async () => {
    flakyHits = 0;
    assert.deepEqual(await fetchImage(`${base}/flaky.jpg`, limits), images[2]);
    assert.equal(flakyHits, 2);
  });

  test('does not retry a 404', async () => {
    const started = Date.now();
    await assert.rejects(fetchImage(`${base}/missing.jpg`, { ...limits, retries: 3 }));
    assert.ok(Date.now() - started < 200, 'a permanent failure is not retried with backoff');
  });
});

describe('Collection.add with URLs', () => {
  test('indexes URLs under their own identity and records failures', async () => {
    const dir = tempDir();
    const c = await Collection.open(path.join(dir, '.simili'), { create: true });
    try {
      flakyHits = 0;
      const urls = ['/ok.jpg', '/redirect', '/flaky.jpg', '/slow.jpg', '/huge.jpg', '/page.html', '/missing.jpg'].map((r) => base + r);
      const summary = await c.add(urls, { recipe: presetRecipe('classic'), fetch: limits });
      assert.equal(summary.indexed, 3);
      assert.deepEqual(summary.failed.map((f) => f.path).sort(), urls.slice(3).sort());

      const all = await c.images();
      const byPath = new Map(all.map((r) => [r.path, r]));
      assert.equal(byPath.get(`${base}/redirect`)?.status, 'indexed', 'a redirect is followed; the URL given stays the identity');
      for (const u of urls.slice(3)) {
        const r = byPath.get(u);
        assert.equal(r?.status, 'failed', u);
        assert.ok(r?.error && r.error.length > 0);
      }
      assert.equal(byPath.get(`${base}/page.html`)?.errorCode, 'UNSUPPORTED_FORMAT');
      assert.equal(byPath.get(`${base}/missing.jpg`)?.errorCode, 'DOWNLOAD_FAILED');

      // A local thumbnail is kept for display: no download needed to show it.
      const ok = byPath.get(`${base}/ok.jpg`)!;
      const thumb = await c.thumbnail(ok.id);
      assert.ok(thumb && thumb.subarray(8, 12).toString('latin1') === 'WEBP');

      // Searching by one of the URLs finds it first, with the URL as its location.
      const { hits } = await c.search({ url: `${base}/ok.jpg` }, { k: 1 });
      assert.equal(hits[0]?.path, `${base}/ok.jpg`);
      assert.equal(hits[0]?.location, `${base}/ok.jpg`);

      // Removing by URL.
      assert.equal(await c.remove([`${base}/redirect`]), 1);
      assert.equal((await c.images()).some((r) => r.path === `${base}/redirect`), false);
    } finally {
      await c.close();
    }
  });
});
