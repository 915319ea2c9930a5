/** The server's small parts on their own: limiter, LRU, magic bytes, token check, public paths. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tokenMatches } from '../src/server/auth.js';
import { sniffImageType } from '../src/server/body.js';
import { baseName, publicPath } from '../src/server/image-json.js';
import { Limiter } from '../src/server/limiter.js';
import { ByteLru } from '../src/server/lru.js';
import { imageId } from '../src/server/params.js';
import { makeImage } from './helpers/images.js';

test('the limiter never runs more than max jobs, and runs them all', async () => {
  const limiter = new Limiter(2);
  let running = 0;
  let peak = 0;
  const job = async (): Promise<number> => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    return 1;
  };
  const results = await Promise.all(Array.from({ length: 20 }, () => limiter.run(job)));
  assert.equal(results.length, 20);
  assert.equal(peak, 2);
  assert.deepEqual(limiter.load, { active: 0, waiting: 0 });
});

test('the limiter skips a waiting job whose client left, and frees its slot', async () => {
  const limiter = new Limiter(1);
  let release!: () => void;
  const first = limiter.run(() => new Promise<void>((r) => (release = r)));
  const gone = new AbortController();
  let ran = false;
  const second = limiter.run(async () => { ran = true; }, gone.signal);
  const third = limiter.run(async () => 'third');
  gone.abort();
  release();
  await first;
  await assert.rejects(second, /closed the request/);
  assert.equal(await third, 'third');
  assert.equal(ran, false);
  assert.deepEqual(limiter.load, { active: 0, waiting: 0 });
});

test('the LRU keeps the most recent entries within its byte budget', () => {
  const lru = new ByteLru<string>(10);
  lru.set('a', Buffer.alloc(4));
  lru.set('b', Buffer.alloc(4));
  lru.get('a');
  lru.set('c', Buffer.alloc(4));
  assert.ok(lru.get('a'));
  assert.equal(lru.get('b'), undefined);
  assert.ok(lru.get('c'));
  lru.set('huge', Buffer.alloc(11));
  assert.equal(lru.get('huge'), undefined);
});

test('image types come from magic bytes, not names or headers', async () => {
  assert.equal(sniffImageType(await makeImage(1)), 'image/jpeg');
  assert.equal(sniffImageType(Buffer.from('89504e470d0a1a0a0000', 'hex')), 'image/png');
  assert.equal(sniffImageType(Buffer.from('GIF89a')), 'image/gif');
  assert.equal(sniffImageType(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')])), 'image/webp');
  assert.equal(sniffImageType(Buffer.concat([Buffer.from([0, 0, 0, 0x1c]), Buffer.from('ftypavif')])), 'image/avif');
  assert.equal(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), null);
  assert.equal(sniffImageType(Buffer.alloc(0)), null);
});

test('tokens compare by digest, whatever their lengths', () => {
  assert.equal(tokenMatches('abc', 'abc'), true);
  assert.equal(tokenMatches('abd', 'abc'), false);
  assert.equal(tokenMatches('a'.repeat(1000), 'abc'), false);
});

test('ids are positive integers and nothing else', () => {
  assert.equal(imageId('42'), 42);
  for (const bad of ['0', '-1', '1.5', '1e3', '0x10', '../1', '1/..', '', ' 1', '99999999999']) {
    assert.throws(() => imageId(bad), /Expected an integer/, bad);
  }
});

test('public paths hide the server\'s absolute directories', () => {
  assert.equal(publicPath('4_dinosaurs/412.jpg'), '4_dinosaurs/412.jpg');
  assert.equal(publicPath('https://example.com/a/b.jpg'), 'https://example.com/a/b.jpg');
  assert.equal(publicPath('/home/me/.simili/added/abc.jpg'), 'added/abc.jpg');
  assert.equal(baseName('https://example.com/a/b%20c.jpg?x=1'), 'b c.jpg');
});
