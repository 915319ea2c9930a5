/**
 * The approximate index on the real labelled collections: on real codes, does the HNSW graph
 * return what a scan of the same codes returns? Every image of each dataset in
 * SIMILI_DATASETS_DIR queries the rest with its own code (`Collection.searchCode`), once
 * scanning every code (`exact: true, plain: true`) and once through the graph for each
 * storage type (`exact: false`). Reported: recall@10 of the graph's answer against the scan,
 * hits@10 (neighbours sharing the query's class) both ways, p50/p95 time, graph build time.
 *
 * Codes, not the whole search: below 50,000 images the default recipe's scans use DBA-augmented
 * rows and the graph holds the codes themselves (DBA is computed only up to that size, where
 * the graph takes over), so comparing whole searches would measure DBA, not the graph.
 *
 * The collections are the quality bench's (cached under $SIMILI_QUALITY_CACHE, default
 * /tmp/simili-bench-quality), copied before their settings are changed. The synthetic 1M/10M
 * runs are bench/ann.ts.
 */
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Collection } from '../src/collection.js';
import { DEFAULT_PRESET, presetRecipe } from '../src/encode/recipe.js';
import { labelOf } from '../src/eval/dataset.js';
import { ANN_QUANTISATIONS } from '../src/search/ann.js';
import { indexedPages } from '../src/store/catalogue.js';
import { percentile } from './stats.js';
import type { BenchSection } from './types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATASETS_DIR = process.env.SIMILI_DATASETS_DIR ?? path.resolve(ROOT, '..', 'shared', 'datasets');
process.env.SIMILI_MODELS_DIR ??= path.resolve(ROOT, '..', 'shared', 'models');
const CACHE_DIR = process.env.SIMILI_QUALITY_CACHE ?? path.join(os.tmpdir(), 'simili-bench-quality');
const K = 10;

interface Answer {
  ids: number[];
  hits: number;
  ms: number;
}

/** Every indexed image's code as a query for the others, with the hits sharing its class counted. */
async function answers(c: Collection, codes: Map<number, Float32Array>, labels: Map<number, string>, exact: boolean): Promise<Answer[]> {
  const out: Answer[] = [];
  for (const [id, code] of codes) {
    const t = performance.now();
    const hits = await c.searchCode(code, { k: K, excludeIds: [id], exact, ...(exact ? { plain: true } : {}) });
    const ms = performance.now() - t;
    out.push({ ids: hits.map((h) => h.id), hits: hits.filter((h) => labels.get(h.id) === labels.get(id)).length, ms });
  }
  return out;
}

function summarise(dataset: string, storage: string, mine: readonly Answer[], exact: readonly Answer[], buildS: number | null): Record<string, string | number> {
  let shared = 0;
  mine.forEach((a, i) => {
    const truth = new Set(exact[i]!.ids);
    shared += a.ids.filter((id) => truth.has(id)).length;
  });
  const times = mine.map((a) => a.ms).sort((x, y) => x - y);
  return {
    dataset,
    images: mine.length,
    search: storage,
    'recall@10 vs scan': storage === 'scan' ? 1 : Number((shared / exact.reduce((s, a) => s + a.ids.length, 0)).toFixed(3)),
    'hits@10': Number((mine.reduce((s, a) => s + a.hits, 0) / mine.length).toFixed(2)),
    'p50 ms': Number(percentile(times, 0.5).toFixed(2)),
    'p95 ms': Number(percentile(times, 0.95).toFixed(2)),
    'graph build s': buildS === null ? '' : Number(buildS.toFixed(2)),
  };
}

export default async function annCollections(): Promise<BenchSection[]> {
  if (!existsSync(DATASETS_DIR)) return [];
  const datasets = readdirSync(DATASETS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(DATASETS_DIR, d.name, 'images')))
    .map((d) => d.name)
    .sort();
  const rows: Array<Record<string, string | number>> = [];
  for (const dataset of datasets) {
    const cached = path.join(CACHE_DIR, DEFAULT_PRESET, dataset);
    const setup = await Collection.open(cached, { create: true, encoder: { allowDownload: false } });
    await setup.index(path.join(DATASETS_DIR, dataset, 'images'), { recipe: presetRecipe(DEFAULT_PRESET), batchSize: 8 });
    await setup.close();
    // Settings are stored in the collection: change a copy, never the quality bench's cache.
    const dir = path.join(os.tmpdir(), `simili-bench-ann-collections-${process.pid}`, dataset);
    rmSync(dir, { recursive: true, force: true });
    cpSync(cached, dir, { recursive: true, filter: (src) => !path.basename(src).startsWith('ann-') });
    const c = await Collection.open(dir, { encoder: { allowDownload: false } });
    try {
      const labels = new Map<number, string>();
      for await (const page of indexedPages(c.store)) for (const r of page) labels.set(r.id, labelOf(r.path) ?? '');
      const codes = await c.codesOf([...labels.keys()], false);
      const exact = await answers(c, codes, labels, true);
      rows.push(summarise(dataset, 'scan', exact, exact, null));
      for (const quantisation of ANN_QUANTISATIONS) {
        await c.updateSettings({ ann: { quantisation } });
        const t = performance.now();
        await c.syncAnn();
        const buildS = (performance.now() - t) / 1000;
        rows.push(summarise(dataset, `graph ${quantisation}`, await answers(c, codes, labels, false), exact, buildS));
        process.stderr.write(`ann-collections: ${JSON.stringify(rows.at(-1))}\n`);
      }
    } finally {
      await c.close();
      rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  }
  return [{
    name: 'ANN on the real collections (every image\'s code as a query)',
    rows,
    notes: [
      `codes of recipe ${DEFAULT_PRESET}, k = ${K}; each image's code queries the others through Collection.searchCode: a scan of every code, then the graph (default settings, storage as the column says; its candidates re-scored with the codes)`,
      'recall@10 vs scan: share of the scan\'s top 10 the graph also returned; hits@10: neighbours with the query\'s class (folder)',
      'p50/p95 ms: one searchCode call (graph or scan, re-scoring), one at a time; a bench/ann.ts 10M build may share the machine',
      'graph build s: Collection.syncAnn after the storage type changed, on one thread',
    ],
  }];
}
