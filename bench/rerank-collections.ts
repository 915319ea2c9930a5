/**
 * The collections the re-ranking bench measures, indexed once with the library's default recipe
 * and cached in /tmp (indexing 2,000 images takes minutes on a busy machine). Re-running only
 * indexes what changed. Run directly to warm the cache: `npx tsx bench/rerank-collections.ts`.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Collection } from '../src/collection.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DATASETS_DIR = process.env.SIMILI_DATASETS_DIR ?? path.resolve(ROOT, '..', 'shared', 'datasets');
process.env.SIMILI_MODELS_DIR ??= path.resolve(ROOT, '..', 'shared', 'models');

export const RERANK_DATASETS = ['corel-1k', 'imagenet-100x10'] as const;
export const CACHE_DIR = process.env.SIMILI_RERANK_CACHE ?? path.join(os.tmpdir(), 'simili-bench-rerank');

export async function benchCollection(dataset: string, log: (m: string) => void = () => {}): Promise<Collection> {
  const collection = await Collection.open(path.join(CACHE_DIR, dataset), { create: true, encoder: { allowDownload: false } });
  const summary = await collection.index(path.join(DATASETS_DIR, dataset, 'images'), {
    batchSize: 8,
    onProgress: (p) => { if (p.done % 200 < 8) log(`${dataset}: ${p.done}/${p.total} (${p.rate.toFixed(1)}/s)`); },
  });
  log(`${dataset}: ${summary.indexed} indexed, ${summary.unchanged} unchanged, ${summary.failed.length} failed in ${summary.seconds.toFixed(0)} s (${summary.encoderId})`);
  return collection;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const d of process.argv.slice(2).length > 0 ? process.argv.slice(2) : RERANK_DATASETS) {
    const c = await benchCollection(d, (m) => process.stderr.write(`${m}\n`));
    await c.close();
  }
}
