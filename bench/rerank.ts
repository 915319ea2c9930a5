/**
 * Re-ranker x dataset -> P@1, hits@10, mAP, added ms per query.
 *
 * Fixed re-rankers (none, ssim, ms-ssim, ssim-euclid): leave-one-out on every dataset, queries =
 * every QUERY_STRIDE-th labelled image (all classes represented), each ranked against the whole
 * collection; the top N (100) of the cosine ranking is re-ordered.
 * Learned: trained on half the classes, measured on the other half, ranking among held-out
 * classes only; `none` is re-measured on that same subset so the pair of rows compares.
 *
 * Collections are indexed with the library's default recipe and cached (bench/rerank-collections.ts).
 * Env: SIMILI_RERANK_TOP (N, default 100), SIMILI_RERANK_STRIDE (default 4), SIMILI_RERANK_METHODS, SIMILI_RERANK_LEARNED=0 to skip training,
 * SIMILI_RERANK_UNSUPERVISED=0 to skip the unsupervised model (it encodes augmented copies).
 */
import os from 'node:os';
import type { Collection } from '../src/collection.js';
import { labelledMatrix } from '../src/eval/dataset.js';
import { cosineRanker, type Ranker } from '../src/eval/evaluate.js';
import { aggregate, queryMetrics } from '../src/eval/metrics.js';
import { rerankRanker } from '../src/rerank/collection-rerank.js';
import { evaluateLearnedSplit } from '../src/rerank/learned/split-eval.js';
import { DEFAULT_RERANK_TOP, RERANK_METHODS, type RerankMethod } from '../src/rerank/rerankers.js';
import type { CodeMatrix } from '../src/store/catalogue.js';
import { benchCollection, RERANK_DATASETS } from './rerank-collections.js';
import type { BenchSection } from './types.js';

const STRIDE = Number(process.env.SIMILI_RERANK_STRIDE ?? 4);
const TOP_N = Number(process.env.SIMILI_RERANK_TOP ?? DEFAULT_RERANK_TOP);
const FIXED = (process.env.SIMILI_RERANK_METHODS?.split(',') ?? ['none', 'ssim', 'ms-ssim', 'ssim-euclid']) as RerankMethod[];

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Leave-one-out over a subset of query rows, each ranked against every other row. */
async function subsetLeaveOneOut(matrix: CodeMatrix, labels: readonly string[], rank: Ranker, queryRows: readonly number[]) {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const metrics = [];
  for (const row of queryRows) {
    const ranked = await rank(matrix.data.subarray(row * matrix.dim, (row + 1) * matrix.dim), row);
    metrics.push(queryMetrics(labels[row]!, ranked.map((r) => labels[r]!), counts.get(labels[row]!)! - 1));
  }
  return aggregate(metrics);
}

async function fixedRows(dataset: string, collection: Collection): Promise<Array<Record<string, string | number>>> {
  const { matrix, labels } = await labelledMatrix(collection);
  const queries = Array.from({ length: Math.ceil(matrix.ids.length / STRIDE) }, (_, i) => i * STRIDE);
  const rows = [];
  for (const method of FIXED.filter((m) => (RERANK_METHODS as readonly string[]).includes(m) && m !== 'learned')) {
    const times: number[] = [];
    const ranker = method === 'none' ? cosineRanker(matrix) : rerankRanker(collection, matrix, { method, topN: TOP_N, onTiming: (ms) => times.push(ms) });
    const m = await subsetLeaveOneOut(matrix, labels, ranker, queries);
    process.stderr.write(`rerank bench: ${dataset} ${method} P@1 ${m.p1.toFixed(3)} mAP ${m.map.toFixed(3)}\n`);
    rows.push({
      dataset, reranker: method === 'none' ? method : `${method} (top ${TOP_N})`, scope: `all classes, ${queries.length} queries`,
      'P@1': r3(m.p1), 'hits@10': r3(m.hits10), mAP: r3(m.map), 'added ms/query': r3(median(times)),
    });
  }
  return rows;
}

async function learnedRows(dataset: string, collection: Collection): Promise<Array<Record<string, string | number>>> {
  const rows = [];
  const targets = process.env.SIMILI_RERANK_UNSUPERVISED === '0' ? (['supervised'] as const) : (['supervised', 'unsupervised'] as const);
  for (const t of targets) {
    const started = performance.now();
    const r = await evaluateLearnedSplit(collection, { targets: t, pairs: 3000, epochs: 5, topN: TOP_N, onStage: (m) => process.stderr.write(`rerank bench: ${dataset} ${t}: ${m}\n`) });
    const seconds = (performance.now() - started) / 1000;
    for (const row of r.rows) {
      if (row.method === 'none' && t !== targets[0]) continue;
      rows.push({
        dataset,
        reranker: row.method === 'learned' ? `learned (top ${TOP_N}, ${t}, held-out pair acc ${r3(r.heldOutAccuracy)}, ${seconds.toFixed(0)} s)` : 'none',
        scope: `held-out ${r.split.testClasses.length} classes, ${r.split.testRows.length} queries`,
        'P@1': r3(row.metrics.p1), 'hits@10': r3(row.metrics.hits10), mAP: r3(row.metrics.map), 'added ms/query': r3(row.addedMsPerQuery),
      });
    }
  }
  return rows;
}

export default async function (): Promise<BenchSection[]> {
  const rows: Array<Record<string, string | number>> = [];
  for (const dataset of RERANK_DATASETS) {
    const collection = await benchCollection(dataset, (m) => process.stderr.write(`rerank bench: ${m}\n`));
    try {
      rows.push(...(await fixedRows(dataset, collection)));
      if (process.env.SIMILI_RERANK_LEARNED !== '0') rows.push(...(await learnedRows(dataset, collection)));
    } finally {
      await collection.close();
    }
  }
  return [{
    name: 'rerank',
    rows,
    notes: [
      `Leave-one-out; first stage = cosine over the default recipe's codes; top N re-ranked; rest keep cosine order.`,
      `Fixed re-rankers: every ${STRIDE}th image is a query against the whole collection. Learned: split by class (half train, half held out), ranking among held-out classes only.`,
      'SSIM on 64x64 luminance (centre crop), MS-SSIM on 128x128; greys from index-time side data. Added ms = median re-ranking time per query.',
      `${os.cpus().length} cores shared with other jobs (load ${os.loadavg()[0]!.toFixed(1)}): absolute ms are inflated.`,
    ],
  }];
}
