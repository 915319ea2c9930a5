import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { writeImageFolder } from './helpers/images.js';
import { cliArgs, tempDir } from './helpers/paths.js';

function simili(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, cliArgs(...args), { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Hits { hits: Array<{ path: string; score: number }> }

test('train itq / train autoencoder, then search --encoder itq|autoencoder end to end', () => {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  const col = path.join(dir, 'col');
  return writeImageFolder(photos, 24).then(() => {
    assert.equal(simili('-c', col, '-q', 'index', photos, '--preset', 'classic').status, 0);
    const query = path.join(photos, 'class0', '005.jpg');

    const missing = simili('-c', col, 'search', query, '--encoder', 'itq');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /simili train itq/);

    const itq = simili('-c', col, 'train', 'itq', '--bits', '64');
    assert.equal(itq.status, 0, itq.stderr);
    const viaItq = simili('-c', col, 'search', query, '--encoder', 'itq', '--json', '-k', '3');
    assert.equal(viaItq.status, 0, viaItq.stderr);
    const itqHits = (JSON.parse(viaItq.stdout) as Hits).hits;
    // Re-ranked with float codes: the query image itself comes first with cosine ~1.
    assert.equal(itqHits[0]!.path, 'class0/005.jpg');
    assert.ok(itqHits[0]!.score > 0.999);

    const sheet = path.join(dir, 'sheet.png');
    const ae = simili('-c', col, 'train', 'autoencoder', '--epochs', '2', '--size', '32', '--bits', '64', '--hidden', '8,8,16', '--sheet', sheet);
    assert.equal(ae.status, 0, ae.stderr);
    assert.ok(existsSync(sheet));
    const viaAe = simili('-c', col, 'search', query, '--encoder', 'autoencoder', '--json', '-k', '5');
    assert.equal(viaAe.status, 0, viaAe.stderr);
    const aeHits = (JSON.parse(viaAe.stdout) as Hits).hits;
    assert.equal(aeHits.length, 5);
    // The query's own bits are in the collection: Hamming distance 0 ranks first.
    assert.equal(aeHits[0]!.path, 'class0/005.jpg');
    assert.equal(aeHits[0]!.score, 1);
  });
});
