/**
 * The learned re-ranker measured honestly: train on half the classes, then evaluate
 * leave-one-out with queries of the other half ranked against images of the other half only.
 * No evaluated query and no image it could retrieve was seen in training, so the score is what
 * the model does on classes it has never met. The baseline (cosine) is measured on the very
 * same held-out subset, so the two numbers compare.
 */
import type { Collection } from '../../collection.js';
import { SimiliError } from '../../errors.js';
import { labelledMatrix } from '../../eval/dataset.js';
import { cosineRanker, leaveOneOut } from '../../eval/evaluate.js';
import type { AggregateMetrics } from '../../eval/metrics.js';
import type { CodeMatrix } from '../../store/catalogue.js';
import { rerankRanker } from '../collection-rerank.js';
import { DEFAULT_RERANK_TOP, type RerankMethod } from '../rerankers.js';
import type { MinedPair } from './pairs.js';
import { splitByClass, type ClassSplit } from './split.js';
import { trainSimilarity, type TrainSimilarityOptions } from './train-collection.js';

export interface SplitEvalOptions extends Omit<TrainSimilarityOptions, 'rows'> {
  topN?: number;
  /** Other re-rankers to measure on the same held-out subset, for comparison. */
  compare?: RerankMethod[];
}

export interface SplitEvalRow {
  method: RerankMethod;
  metrics: AggregateMetrics;
  addedMsPerQuery: number;
}

export interface SplitEvalResult {
  split: ClassSplit;
  scope: 'held-out classes';
  heldOutAccuracy: number;
  trainPairs: number;
  targets: 'supervised' | 'unsupervised';
  rows: SplitEvalRow[];
}

/** Throws unless every training pair stays inside the training rows. */
export function assertNoLeak(pairs: readonly MinedPair[], trainRows: ReadonlySet<number>): void {
  for (const p of pairs) {
    if (!trainRows.has(p.rows[0]) || !trainRows.has(p.rows[1])) {
      throw new SimiliError('INVALID_PARAMETER', `Class split leaked: a training pair uses row ${trainRows.has(p.rows[0]) ? p.rows[1] : p.rows[0]} of a held-out class`);
    }
  }
}

export function subMatrix(matrix: CodeMatrix, rows: readonly number[]): CodeMatrix {
  const data = new Float32Array(rows.length * matrix.dim);
  rows.forEach((r, i) => data.set(matrix.data.subarray(r * matrix.dim, (r + 1) * matrix.dim), i * matrix.dim));
  return { ids: Int32Array.from(rows, (r) => matrix.ids[r]!), dim: matrix.dim, data };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function evaluateLearnedSplit(collection: Collection, options: SplitEvalOptions = {}): Promise<SplitEvalResult> {
  const { matrix, labels } = await labelledMatrix(collection);
  const split = splitByClass(labels, options.seed ?? 1);
  // trainSimilarity numbers rows of the full code matrix; map the training side there by id.
  const full = await collection.codes();
  const fullRow = new Map<number, number>();
  full.ids.forEach((id, r) => fullRow.set(id, r));
  const trainFullRows = split.trainRows.map((r) => fullRow.get(matrix.ids[r]!)!);
  const trained = await trainSimilarity(collection, { ...options, rows: trainFullRows });
  const allowed = new Set(trainFullRows);
  assertNoLeak(trained.trainPairs, allowed);
  assertNoLeak(trained.valPairs, allowed);

  const test = subMatrix(matrix, split.testRows);
  const testLabels = split.testRows.map((r) => labels[r]!);
  const topN = options.topN ?? DEFAULT_RERANK_TOP;
  const rows: SplitEvalRow[] = [];
  for (const method of ['none', ...(options.compare ?? []).filter((m) => m !== 'none' && m !== 'learned'), 'learned'] as RerankMethod[]) {
    const times: number[] = [];
    const ranker = method === 'none' ? cosineRanker(test) : rerankRanker(collection, test, { method, topN, model: trained.model, onTiming: (ms) => times.push(ms) });
    const report = await leaveOneOut(test, testLabels, ranker);
    rows.push({ method, metrics: report.overall, addedMsPerQuery: median(times) });
  }
  return {
    split,
    scope: 'held-out classes',
    heldOutAccuracy: trained.model.info.heldOutAccuracy,
    trainPairs: trained.trainPairs.length,
    targets: trained.model.info.targets,
    rows,
  };
}
