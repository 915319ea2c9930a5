import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { test } from 'node:test';
import { Collection } from '../src/collection.js';
import { presetRecipe } from '../src/encode/recipe.js';
import type { PipelineProgress } from '../src/indexing/pipeline.js';
import { queueDispatch } from '../src/queue/enqueue.js';
import type { WorkerEvent } from '../src/queue/worker.js';
import { PostgresCatalogue } from '../src/store/postgres.js';
import { writeImageFolder } from './helpers/images.js';
import { ROOT, tempDir } from './helpers/paths.js';
import { startPostgres } from './helpers/pglite.js';
import { startRedis } from './helpers/redis.js';

interface RunningWorker {
  child: ChildProcess;
  events: WorkerEvent[];
  /** Resolves when an event matching `pred` has been printed. */
  until(pred: (e: WorkerEvent, all: WorkerEvent[]) => boolean): Promise<void>;
  /** SIGKILL the worker the moment it prints an event matching `pred` (synchronously, before reading on). */
  killWhen(pred: (e: WorkerEvent, all: WorkerEvent[]) => boolean): Promise<void>;
}

function startWorker(queue: string, store: string): RunningWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test', 'helpers', 'queue-worker.ts'), queue, store], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const events: WorkerEvent[] = [];
  const waiters: Array<{ pred: (e: WorkerEvent, all: WorkerEvent[]) => boolean; resolve: () => void }> = [];
  let killer: { pred: (e: WorkerEvent, all: WorkerEvent[]) => boolean; resolve: () => void } | null = null;
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    if (child.signalCode === 'SIGKILL') return;
    const e = JSON.parse(line) as WorkerEvent;
    events.push(e);
    if (killer?.pred(e, events)) {
      child.kill('SIGKILL');
      killer.resolve();
      killer = null;
    }
    for (const w of [...waiters]) if (w.pred(e, events)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  });
  return {
    child,
    events,
    until: (pred) => new Promise((resolve) => waiters.push({ pred, resolve })),
    killWhen: (pred) => new Promise((resolve) => { killer = { pred, resolve }; }),
  };
}

test('two workers index a folder from a Redis queue into Postgres; one is SIGKILLed mid-job; every image lands exactly once', { timeout: 300_000 }, async () => {
  const redis = await startRedis();
  const pg = await startPostgres();
  const store = `${pg.url}?schema=queued`;
  const workers: RunningWorker[] = [];
  try {
    const dir = tempDir();
    const photos = path.join(dir, 'photos');
    const files = await writeImageFolder(photos, 48, 8);
    const c = await Collection.open(path.join(dir, 'col'), { store });

    const a = startWorker(redis.url, store);
    const b = startWorker(redis.url, store);
    workers.push(a, b);
    await Promise.all([a.until((e) => e.type === 'ready'), b.until((e) => e.type === 'ready')]);

    // Kill worker a while it holds a job, after it has finished at least one.
    const killed = a.killWhen((e, all) => e.type === 'active' && all.some((x) => x.type === 'completed'));
    const progress: PipelineProgress[] = [];
    const summary = await c.index(photos, {
      recipe: presetRecipe('classic'),
      dispatch: queueDispatch({ queue: redis.url, storeLocation: c.store.location, filesPerJob: 4, pollMs: 1000, onProgress: (p) => progress.push(p) }),
    });
    await killed;
    assert.equal(a.child.signalCode, 'SIGKILL');
    const lost = a.events.filter((e) => e.type === 'active').length - a.events.filter((e) => e.type === 'completed').length;
    assert.ok(lost >= 1, 'the killed worker died holding a job');

    assert.equal(summary.failed.length, 0);
    assert.equal(summary.indexed, files.length);
    assert.equal(progress.at(-1)!.done, files.length);
    assert.ok(progress.length > 2, 'progress is reported while workers run');
    assert.ok(b.events.some((e) => e.type === 'completed'), 'the surviving worker did work');

    const check = await PostgresCatalogue.connect(store);
    assert.equal(await check.countImages(), files.length);
    assert.equal(await check.countImages('indexed'), files.length);
    const paths = (await check.listImages()).map((r) => r.path);
    assert.equal(new Set(paths).size, files.length);
    assert.deepEqual([...paths].sort(), files.map((f) => path.relative(photos, f).split(path.sep).join('/')).sort());
    assert.equal((await check.loadCodes()).ids.length, files.length);
    await check.close();

    const hit = await c.search({ path: files[5]! }, { k: 1 });
    assert.equal(hit.hits[0]!.location, files[5]);
    await c.close();
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) {
      const exited = new Promise((r) => w.child.once('exit', r));
      w.child.kill('SIGTERM');
      await exited;
    }
    await pg.stop();
    await redis.stop();
  }
});
