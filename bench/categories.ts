/**
 * The category gate (docs/categories.md): on every dataset in SIMILI_DATASETS_DIR with
 * class folders, leave-one-out gate recall and hits@10 with and without the gate, for the
 * default rule (categories covering 90 % of the probability), 80 % and fixed top 2/4/6; then the per-query speed-up at BENCH_CATEGORIES_IMAGES
 * (default 100,000) images, real codes plus synthetic ones (src/categories/speed.ts).
 * Collections (default preset, labels on) are cached per preset under $SIMILI_CATEGORIES_CACHE
 * (default /tmp/simili-bench-categories): a re-run only evaluates. BENCH_CATEGORIES_DATASETS
 * (comma-separated) limits the datasets.
 */
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Collection } from '../src/collection.js';
import { evaluateGate } from '../src/categories/evaluate.js';
import type { GateRuleOptions } from '../src/categories/gate.js';
import { closeLabellers } from '../src/categories/labels.js';
import { measureGateSpeed } from '../src/categories/speed.js';
import { DEFAULT_PRESET, presetRecipe } from '../src/encode/recipe.js';
import type { BenchSection } from './types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATASETS_DIR = process.env.SIMILI_DATASETS_DIR ?? path.resolve(ROOT, '..', 'shared', 'datasets');
process.env.SIMILI_MODELS_DIR ??= path.resolve(ROOT, '..', 'shared', 'models');
const CACHE_DIR = process.env.SIMILI_CATEGORIES_CACHE ?? path.join(os.tmpdir(), 'simili-bench-categories');
const IMAGES = Number(process.env.BENCH_CATEGORIES_IMAGES ?? 100_000);
const ONLY = process.env.BENCH_CATEGORIES_DATASETS?.split(',').map((s) => s.trim()).filter(Boolean);

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

export default async function (): Promise<BenchSection[]> {
  const sets = existsSync(DATASETS_DIR)
    ? readdirSync(DATASETS_DIR).filter((d) => existsSync(path.join(DATASETS_DIR, d, 'images')) && (!ONLY || ONLY.includes(d))).sort()
    : [];
  const quality: BenchSection = { name: 'category gate: recall and quality (leave-one-out)', rows: [], notes: [] };
  const speed: BenchSection = { name: `category gate: speed per query at ${IMAGES} images`, rows: [], notes: [] };
  for (const set of sets) {
    // Keyed by preset: a cache made under an older default must not be measured as the new one.
    const c = await Collection.open(path.join(CACHE_DIR, `${set}-${DEFAULT_PRESET}`), { create: true });
    try {
      await c.updateSettings({ labels: true });
      await c.index(path.join(DATASETS_DIR, set, 'images'), { recipe: presetRecipe(DEFAULT_PRESET) });
      const rules: GateRuleOptions[] = [{}, { categoryMass: 0.8 }, { topCategories: 2 }, { topCategories: 4 }, { topCategories: 6 }];
      for (const rule of rules) {
        const r = await evaluateGate(c, rule);
        quality.rows.push({
          dataset: set,
          categories: r.rule + (Object.keys(rule).length === 0 ? ' (default)' : ''),
          'gate recall': pct(r.gateRecall),
          'class kept': pct(r.classKept),
          'true class in gate': r.trueClassInGate === null ? '-' : pct(r.trueClassInGate),
          candidates: `${r.meanCandidates.toFixed(0)} of ${Math.round(r.meanCandidates / Math.max(r.candidateFraction, 1e-9))}`,
          'hits@10 all': r.ungated.hits10.toFixed(2),
          'hits@10 gated': r.gated.hits10.toFixed(2),
          'mAP all': r.ungated.map.toFixed(3),
          'mAP gated': r.gated.map.toFixed(3),
        });
      }
      const s = await measureGateSpeed(c, { images: IMAGES, queries: 100 });
      for (const row of s.rows) {
        speed.rows.push({
          dataset: set,
          labels: row.layout === 'dataset' ? 'as in the dataset' : 'spread over 1000 classes',
          candidates: Math.round(row.meanCandidates),
          'full scan ms': row.fullScanMs.toFixed(2),
          'gated ms': row.gatedMs.toFixed(2),
          'scan speed-up': `${row.scanSpeedup.toFixed(1)}x`,
          'end-to-end speed-up': `${row.endToEndSpeedup.toFixed(2)}x`,
        });
      }
      speed.notes!.push(`${set}: ${s.realImages} real + ${IMAGES - s.realImages} synthetic codes of ${s.dim} dimensions; outside query encode ${s.encodeMs.toFixed(0)} ms, encode beside classify ${s.encodeAndClassifyMs.toFixed(0)} ms (medians)`);
    } finally {
      await c.close();
    }
  }
  await closeLabellers();
  quality.notes!.push(
    'gate recall: per query, the fraction of its same-class images kept as candidates (mean); class kept: queries with at least one same-class candidate;',
    'true class in gate: the folder synset is one of the query\'s gate categories. Images store their top 5 classes, and count under those covering 90 % of',
    'their probability for the default rule, under all 5 for a fixed top N; the gate widens below 10 candidates.',
  );
  speed.notes!.push(`${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), shared with other work: timings are medians of 100 queries, ratios are the figure to read.`);
  return [quality, speed];
}
