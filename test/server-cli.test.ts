/**
 * `simili serve` as a user runs it: a child process prints a banner with the URL, answers,
 * and exits cleanly on SIGTERM/SIGINT. The token comes from the environment or a file.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { buildCollection } from './helpers/serve-fixture.js';
import { ROOT, tempDir } from './helpers/paths.js';

let dir: string;

before(async () => {
  ({ dir } = await buildCollection());
});

/** Starts the CLI and resolves with the URL from its banner. */
function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'serve', dir, '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, SIMILI_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner after 60 s:\n${out}`)), 60_000);
    const check = (): void => {
      const m = /Page:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out });
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => reject(new Error(`exited with ${code} before listening:\n${out}`)));
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

test('serve prints a banner, answers, and stops on SIGTERM', async () => {
  const { child, url, output } = await serve([]);
  const stats = (await (await fetch(new URL('/api/stats', url))).json()) as { indexed: number; features: { write: boolean } };
  assert.ok(stats.indexed > 0);
  assert.equal(stats.features.write, false);
  assert.match(output(), /Writes:\s+off/);
  const exited = exitOf(child);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  await assert.rejects(fetch(new URL('/api/stats', url)));
});

test('the token from the environment turns the write endpoints on; SIGINT stops', async () => {
  const { child, url } = await serve([], { SIMILI_TOKEN: 'from-env-token' });
  const stats = (await (await fetch(new URL('/api/stats', url))).json()) as { features: { write: boolean } };
  assert.equal(stats.features.write, true);
  const denied = await fetch(new URL('/api/images/1', url), { method: 'DELETE', headers: { authorization: 'Bearer wrong' } });
  assert.equal(denied.status, 401);
  const exited = exitOf(child);
  child.kill('SIGINT');
  assert.equal(await exited, 0);
});

test('--token-file and a custom --token-env', async () => {
  const file = path.join(tempDir('simili-token-'), 'token');
  writeFileSync(file, 'file-token\n');
  const a = await serve(['--token-file', file]);
  const okDelete = await fetch(new URL('/api/images/99999', a.url), { method: 'DELETE', headers: { authorization: 'Bearer file-token' } });
  assert.equal(okDelete.status, 404, 'authorised, then the id is unknown');
  const exitA = exitOf(a.child);
  a.child.kill('SIGTERM');
  await exitA;

  const b = await serve(['--token-env', 'MY_SIMILI_TOKEN'], { MY_SIMILI_TOKEN: 'custom' });
  const stats = (await (await fetch(new URL('/api/stats', b.url))).json()) as { features: { write: boolean } };
  assert.equal(stats.features.write, true);
  const exitB = exitOf(b.child);
  b.child.kill('SIGTERM');
  await exitB;
});
