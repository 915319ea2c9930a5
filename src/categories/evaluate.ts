/**
 * How good is the category gate? Over leave-one-out queries on a labelled collection
 * (class folders), each image queries the others with its own stored predictions:
 *
 * - gate recall: per query, the fraction of its same-class images that the gate keeps as
 *   candidates; averaged over queries. The target is >= 0.95.
 * - class kept: fraction of queries whose candidates include at least one same-class image.
 * - true class in gate: fraction of queries whose folder label (an ImageNet synset) is one of
 *   the gate's categories (only when folder names are synsets).
 * - hits@10, P@1 and mAP of the gated ranking (candidates by score, then the rest, so mAP
 *   stays comparable) against the ungated one.
 */
import type { Collection } from '../collection.js';
import { labelledMatrix } from '../eval/dataset.js';
import { cosineRanker, leaveOneOut, type EvalReport } from '../eval/evaluate.js';
import { integerInRange } from '../validate.js';
import { describeRule, gateRule, predictedGate, type GateRuleOptions } from './gate.js';
import { labelIndexOf } from './label-index.js';
import { labeller, labelSettings } from './labels.js';
import { storedPredictions } from './search-gate.js';

export interface GateEvalOptions extends GateRuleOptions {
  /** The k the gate must supply (widening threshold); hits@10 is measured, so 10. */
  k?: number;
}

export interface GateEvalReport {
  queries: number;
  /** Which of the query's categories open the gate, in words. */
  rule: string;
  k: number;
  gateRecall: number;
  classKept: number;
  /** Null when folder labels are not synsets of the label model. */
  trueClassInGate: number | null;
  widened: number;
  everything: number;
  meanCandidates: number;
  /** Mean candidates / images in the collection. */
  candidateFraction: number;
  ungated: EvalReport['overall'];
  gated: EvalReport['overall'];
}

export async function evaluateGate(collection: Collection, options: GateEvalOptions = {}): Promise<GateEvalReport> {
  const rule = gateRule(options);
  const k = integerInRange('k', options.k ?? 10, 1, 10_000);
  const settings = labelSettings(await collection.settings());
  const { classes } = await labeller(settings.model);
  const index = await labelIndexOf(collection.store);
  const { matrix, labels } = await labelledMatrix(collection);
  const total = (await collection.codes()).ids.length;
  const rowOf = new Map<number, number>();
  matrix.ids.forEach((id, row) => rowOf.set(id, row));
  const synsetIndex = new Map(classes.map((c) => [c.synset, c.classIndex]));
  const labelsAreSynsets = labels.every((l) => synsetIndex.has(l));

  const full = cosineRanker(matrix);
  let recallSum = 0, kept = 0, inGate = 0, widened = 0, everything = 0, candidateSum = 0;
  const gatedRanker = async (code: Float32Array, excludeRow: number | null): Promise<number[]> => {
    const ranked = await full(code, excludeRow);
    if (excludeRow === null) return ranked;
    const id = matrix.ids[excludeRow]!;
    const label = labels[excludeRow]!;
    const predictions = await storedPredictions(collection, id);
    const decision = predictedGate(index, classes, predictions, { ...options, k, excludeIds: [id], total });
    candidateSum += decision.gate.candidates;
    if (decision.gate.widened) widened++;
    if (decision.gate.everything) everything++;
    const wanted = synsetIndex.get(label);
    if (wanted !== undefined && decision.gate.categories.some((c) => c.classIndex === wanted)) inGate++;
    if (!decision.candidateIds) {
      recallSum += 1;
      kept++;
      return ranked;
    }
    const allowed = new Set<number>();
    for (const cid of decision.candidateIds) {
      const row = rowOf.get(cid);
      if (row !== undefined && row !== excludeRow) allowed.add(row);
    }
    let same = 0, sameKept = 0;
    labels.forEach((l, row) => {
      if (row === excludeRow || l !== label) return;
      same++;
      if (allowed.has(row)) sameKept++;
    });
    recallSum += same > 0 ? sameKept / same : 1;
    if (sameKept > 0 || same === 0) kept++;
    return [...ranked.filter((r) => allowed.has(r)), ...ranked.filter((r) => !allowed.has(r))];
  };
  const ungated = await leaveOneOut(matrix, labels);
  const gated = await leaveOneOut(matrix, labels, gatedRanker);
  const n = matrix.ids.length;
  return {
    queries: n,
    rule: describeRule(rule),
    k,
    gateRecall: recallSum / n,
    classKept: kept / n,
    trueClassInGate: labelsAreSynsets ? inGate / n : null,
    widened: widened / n,
    everything: everything / n,
    meanCandidates: candidateSum / n,
    candidateFraction: candidateSum / n / Math.max(1, total),
    ungated: ungated.overall,
    gated: gated.overall,
  };
}
