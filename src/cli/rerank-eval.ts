/**
 * What `simili eval --rerank <method>` adds: an evaluation Ranker that re-ranks the top N, the
 * time it adds per query, and for `learned` the honest class-split evaluation (a model trained
 * on the collection's own classes would be graded on its training data).
 */
import type { Collection } from '../collection.js';
import type { LabelledQuery } from '../eval/dataset.js';
import type { Ranker } from '../eval/evaluate.js';
import { renderTable } from '../present/table.js';
import type { CodeMatrix } from '../store/catalogue.js';
import { outsideGreyByCode, rerankRanker } from '../rerank/collection-rerank.js';
import { evaluateLearnedSplit, type SplitEvalResult } from '../rerank/learned/split-eval.js';
import type { RerankOptions } from '../rerank/rerankers.js';

export interface RerankTiming {
  record(ms: number): void;
  /** Median milliseconds re-ranking added per query. */
  medianMs(): number;
}

export function rerankTiming(): RerankTiming {
  const times: number[] = [];
  return {
    record: (ms) => { times.push(ms); },
    medianMs: () => (times.length === 0 ? 0 : [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!),
  };
}

export function evalRanker(collection: Collection, rerank: Required<RerankOptions>, queries: readonly LabelledQuery[] | undefined, timing: RerankTiming): (matrix: CodeMatrix) => Ranker {
  const outsideGrey = queries && queries.length > 0 ? outsideGreyByCode(collection, queries.map((q) => q.file)) : undefined;
  return (matrix) => rerankRanker(collection, matrix, { ...rerank, onTiming: timing.record, ...(outsideGrey ? { outsideGrey } : {}) });
}

export async function learnedSplitEval(collection: Collection, rerank: Required<RerankOptions>, log: (m: string) => void): Promise<SplitEvalResult> {
  return evaluateLearnedSplit(collection, { topN: rerank.topN, targets: 'supervised', onStage: log });
}

export function formatSplitEval(r: SplitEvalResult): string {
  return [
    `learned re-ranker, split by class: trained on ${r.split.trainClasses.length} classes (${r.trainPairs} ${r.targets} pairs, held-out pair accuracy ${(r.heldOutAccuracy * 100).toFixed(1)} %),`,
    `evaluated leave-one-out on the other ${r.split.testClasses.length} classes (${r.split.testRows.length} images), ranking among held-out classes only:`,
    renderTable(['re-ranker', 'P@1', 'hits@10', 'P@10', 'mAP', 'added ms/query'],
      r.rows.map((row) => [row.method, row.metrics.p1, row.metrics.hits10, row.metrics.p10, row.metrics.map, row.addedMsPerQuery.toFixed(1)])),
  ].join('\n');
}
