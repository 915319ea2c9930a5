/**
 * Core throughput and latency: indexing images/s end to end and for the model alone,
 * exact query latency at 1k / 100k / 1M stored codes, peak memory.
 * Sizes can be cut for a quick run: BENCH_CORE_SIZES=1000,100000 BENCH_CORE_IMAGES=100.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Collection } from '../src/collection.js';
import { decodeImage } from '../src/decode/decode.js';
import { DEFAULT_PRESET, presetRecipe } from '../src/encode/recipe.js';
import { createEncoder } from '../src/encode/create.js';
import { exactTopK } from '../src/search/exact.js';
import type { CodeMatrix } from '../src/store/catalogue.js';
import { DATASETS_DIR } from '../test/helpers/paths.js';
import { percentile } from './stats.js';
import type { BenchSection } from './types.js';

/** Synthetic codes that keep real codes' statistics: perturbed copies of real ones, renormalised. */
function syntheticCodes(real: CodeMatrix, n: number): CodeMatrix {
  const { dim } = real;
  const data = new Float32Array(n * dim);
  let seed = 12345;
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff - 0.5;
  };
  for (let i = 0; i < n; i++) {
    const src = (i % real.ids.length) * dim;
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = real.data[src + j]! + 0.02 * noise();
      data[i * dim + j] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) data[i * dim + j]! *= inv;
  }
  return { ids: Int32Array.from({ length: n }, (_, i) => i), dim, data };
}

export default async function bench(): Promise<BenchSection[]> {
  const recipe = presetRecipe(DEFAULT_PRESET);
  const sizes = (process.env.BENCH_CORE_SIZES ?? '1000,100000,1000000').split(',').map(Number);
  const imageCount = Number(process.env.BENCH_CORE_IMAGES ?? 200);
  const corel = path.join(DATASETS_DIR, 'corel-1k', 'images');

  // A folder of real photos, spread over the classes.
  const work = mkdtempSync(path.join(os.tmpdir(), 'simili-bench-'));
  const photos = path.join(work, 'photos');
  const classes = readdirSync(corel).sort();
  const perClass = Math.ceil(imageCount / classes.length);
  const files: string[] = [];
  for (const cls of classes) {
    for (const f of readdirSync(path.join(corel, cls)).sort().slice(0, perClass)) {
      if (files.length >= imageCount) break;
      cpSync(path.join(corel, cls, f), path.join(photos, cls, f));
      files.push(path.join(photos, cls, f));
    }
  }

  // End to end: scan, read, hash, decode, encode, write.
  const collection = await Collection.open(path.join(work, 'col'), { create: true });
  const t0 = performance.now();
  const summary = await collection.index(photos, { recipe });
  const endToEnd = summary.indexed / ((performance.now() - t0) / 1000);

  // Model alone: pre-decoded images, batches of 16.
  const { encoder } = await createEncoder(recipe);
  const decoded = await Promise.all(files.slice(0, 64).map((f) => decodeImage(f, { maxSide: encoder.maxSide })));
  await encoder.encodeBatch(decoded.slice(0, 16));
  const t1 = performance.now();
  for (let i = 0; i < decoded.length; i += 16) await encoder.encodeBatch(decoded.slice(i, i + 16));
  const modelOnly = decoded.length / ((performance.now() - t1) / 1000);
  await encoder.close();

  const real = await collection.codes();
  await collection.close();
  rmSync(work, { recursive: true, force: true });

  const latencyRows: Array<Record<string, string | number>> = [];
  for (const n of sizes) {
    const matrix = syntheticCodes(real, n);
    const times: number[] = [];
    for (let q = 0; q < 50; q++) {
      const query = matrix.data.slice((q * 7919 % n) * matrix.dim, (q * 7919 % n + 1) * matrix.dim);
      const s = performance.now();
      exactTopK(matrix, query, 10);
      times.push(performance.now() - s);
    }
    const sorted = times.slice(5).sort((a, b) => a - b);
    latencyRows.push({
      'stored codes': n, dim: matrix.dim,
      'p50 ms': Number(percentile(sorted, 0.5).toFixed(2)), 'p95 ms': Number(percentile(sorted, 0.95).toFixed(2)),
      'matrix MB': Math.round(matrix.data.byteLength / 1e6),
    });
  }
  return [
    {
      name: 'indexing throughput',
      rows: [
        { stage: `end to end (${summary.indexed} corel-1k images)`, 'images/s': Number(endToEnd.toFixed(1)), recipe: recipe.name },
        { stage: 'model alone (batch 16, pre-decoded)', 'images/s': Number(modelOnly.toFixed(1)), recipe: recipe.name },
      ],
      notes: [`${os.cpus().length} cores; end to end includes reading, hashing, decoding, encoding and SQLite writes`],
    },
    {
      name: 'exact query latency (top 10, cosine)',
      rows: latencyRows,
      notes: [
        'synthetic codes: perturbed copies of real codes; 45 timed queries after 5 warm-up; one query at a time',
        `peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB (whole bench process)`,
      ],
    },
  ];
}
