/**
 * Retrieval quality of every preset on every dataset in SIMILI_DATASETS_DIR (default
 * ../shared/datasets): leave-one-out P@1, hits@10, P@10, mAP, the outside queries' hits@10
 * (datasets with a queries.tsv), and indexing speed relative to the `fast` preset.
 *
 * Measured through the library itself (Collection.index -> learned post-processing ->
 * evaluateCollection with the recipe's query expansion), so the numbers are what users get.
 * Collections are cached under $SIMILI_QUALITY_CACHE (default /tmp/simili-bench-quality):
 * a re-run only evaluates. Cut it down with BENCH_QUALITY_PRESETS=fast,balanced and
 * BENCH_QUALITY_DATASETS=corel-1k.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Collection } from '../src/collection.js';
import { evaluateCollection, readQueryLabels } from '../src/eval/dataset.js';
import { PRESET_NAMES, presetRecipe } from '../src/encode/recipe.js';
import { queryExpansionRanker } from '../src/search/expansion.js';
import type { BenchSection } from './types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATASETS_DIR = process.env.SIMILI_DATASETS_DIR ?? path.resolve(ROOT, '..', 'shared', 'datasets');
process.env.SIMILI_MODELS_DIR ??= path.resolve(ROOT, '..', 'shared', 'models');
const CACHE_DIR = process.env.SIMILI_QUALITY_CACHE ?? path.join(os.tmpdir(), 'simili-bench-quality');

function list(env: string | undefined, all: readonly string[]): string[] {
  const wanted = env?.split(',').map((s) => s.trim()).filter(Boolean);
  return wanted ? all.filter((x) => wanted.includes(x)) : [...all];
}

function datasets(): string[] {
  if (!existsSync(DATASETS_DIR)) return [];
  const all = readdirSync(DATASETS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(DATASETS_DIR, d.name, 'images')))
    .map((d) => d.name)
    .sort();
  return list(process.env.BENCH_QUALITY_DATASETS, all);
}

/** Seconds per image of the last real indexing run, kept beside the cached collection. */
function timing(dir: string, measured?: { seconds: number; images: number }): number | null {
  const file = path.join(dir, 'bench-timing.json');
  if (measured && measured.images >= 50) writeFileSync(file, JSON.stringify(measured));
  if (!existsSync(file)) return null;
  const t = JSON.parse(readFileSync(file, 'utf8')) as { seconds: number; images: number };
  return t.seconds / t.images;
}

export default async function quality(): Promise<BenchSection[]> {
  const presets = list(process.env.BENCH_QUALITY_PRESETS, PRESET_NAMES);
  const rows: Array<Record<string, string | number>> = [];
  const speed = new Map<string, number>();
  const notes: string[] = [];
  for (const dataset of datasets()) {
    const folder = path.join(DATASETS_DIR, dataset);
    const tsv = path.join(folder, 'queries.tsv');
    const queries = existsSync(tsv) ? await readQueryLabels(tsv) : undefined;
    for (const preset of presets) {
      const recipe = presetRecipe(preset);
      const dir = path.join(CACHE_DIR, preset, dataset);
      const collection = await Collection.open(dir, { create: true, encoder: { allowDownload: false } });
      try {
        const summary = await collection.index(path.join(folder, 'images'), { recipe, batchSize: 8 });
        const perImage = timing(dir, summary.indexed > 0 ? { seconds: summary.seconds, images: summary.indexed } : undefined);
        if (perImage !== null) speed.set(`${preset}/${dataset}`, perImage);
        const qe = recipe.search?.queryExpansion ?? null;
        const result = await evaluateCollection(collection, {
          ...(queries ? { queries } : {}),
          ...(qe ? { ranker: (m) => queryExpansionRanker(m, qe) } : {}),
        });
        const loo = result.leaveOneOut.overall;
        const base = speed.get(`fast/${dataset}`);
        rows.push({
          dataset,
          preset,
          images: result.evaluated,
          'P@1': loo.p1.toFixed(3),
          'hits@10': loo.hits10.toFixed(2),
          'P@10': loo.p10.toFixed(3),
          mAP: loo.map.toFixed(3),
          outside: result.outside ? result.outside.queries.map((q) => q.hits10).join('/') : '-',
          'index s/img': perImage !== null ? perImage.toFixed(3) : '-',
          'speed vs fast': perImage !== null && base !== undefined ? (base / perImage).toFixed(2) : '-',
        });
      } finally {
        await collection.close();
      }
    }
  }
  notes.push(
    `datasets: ${DATASETS_DIR}; collections cached in ${CACHE_DIR} (delete to re-measure indexing speed)`,
    'leave-one-out: every image queries the rest; hits@10 is of min(10, class size - 1); outside = hits@10 of each queries.tsv photo',
    'post-processing (mean, DBA) is learned on the evaluated collection itself, as a user collection does; no labels are used',
    `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown cpu'}; speed is end-to-end indexing (decode + model + pooling)`,
  );
  return [{ name: 'quality: presets x datasets', rows, notes }];
}
