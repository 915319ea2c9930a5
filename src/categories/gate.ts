/**
 * The category gate: the query's top predicted classes pick candidate images through the
 * inverted index, and codes rank only those. Too few candidates (< k) widen the gate, first
 * to more of the query's classes, then to the whole collection; the result says which
 * happened, a gated search never fails for lack of a category. An explicit category
 * (`--category turtle`) is a filter: it never widens.
 */
import { SimiliError } from '../errors.js';
import type { ImageLabel } from '../store/catalogue.js';
import { integerInRange } from '../validate.js';
import { matchClasses, shortName, type ClassName } from './classes.js';
import type { LabelIndex } from './label-index.js';

export const DEFAULT_TOP_CATEGORIES = 4;

export interface GateCategory {
  classIndex: number;
  name: string;
  /** The query's predicted probability (absent for an explicit category). */
  probability?: number;
}

export interface GateInfo {
  mode: 'predicted' | 'explicit';
  categories: GateCategory[];
  /** Images the gate kept (the query itself excluded). */
  candidates: number;
  /** More categories than asked, or the whole collection, had to be used. */
  widened: boolean;
  /** The gate let everything through (widened to the whole collection). */
  everything: boolean;
}

export interface GateDecision {
  /** Images to scan; undefined = all of them. */
  candidateIds: number[] | undefined;
  gate: GateInfo;
}

export interface PredictedGateOptions {
  k: number;
  topCategories?: number;
  /** Never counted as candidates (the query itself). */
  excludeIds?: readonly number[];
  /** Images in the collection, reported as the candidates when the gate opens fully. */
  total?: number;
}

function category(classes: readonly ClassName[], l: ImageLabel): GateCategory {
  const c = classes[l.classIndex];
  return { classIndex: l.classIndex, name: c ? shortName(c) : String(l.classIndex), probability: l.probability };
}

function countKept(ids: readonly number[], exclude: ReadonlySet<number>): number {
  if (exclude.size === 0) return ids.length;
  let n = 0;
  for (const id of ids) if (!exclude.has(id)) n++;
  return n;
}

/** @param predictions the query's classes, most probable first */
export function predictedGate(index: LabelIndex, classes: readonly ClassName[], predictions: readonly ImageLabel[], options: PredictedGateOptions): GateDecision {
  const k = integerInRange('k', options.k, 1, Number.MAX_SAFE_INTEGER);
  const top = integerInRange('topCategories', options.topCategories ?? DEFAULT_TOP_CATEGORIES, 1, 1000);
  const exclude = new Set(options.excludeIds ?? []);
  let t = Math.min(top, predictions.length);
  let widened = false;
  while (t > 0) {
    const used = predictions.slice(0, t);
    const ids = index.union(used.map((p) => p.classIndex));
    const kept = countKept(ids, exclude);
    if (kept >= k) {
      return { candidateIds: ids, gate: { mode: 'predicted', categories: used.map((p) => category(classes, p)), candidates: kept, widened, everything: false } };
    }
    if (t >= predictions.length) break;
    t = Math.min(predictions.length, t * 2);
    widened = true;
  }
  return {
    candidateIds: undefined,
    gate: { mode: 'predicted', categories: predictions.slice(0, t).map((p) => category(classes, p)), candidates: Math.max(0, (options.total ?? index.images) - exclude.size), widened: true, everything: true },
  };
}

/** `--category <name>`: every class the name matches (by synset, whole name or word). */
export function explicitGate(index: LabelIndex, classes: readonly ClassName[], name: string, excludeIds: readonly number[] = []): GateDecision {
  const matched = matchClasses(classes, name);
  if (matched.length === 0) {
    throw new SimiliError('INVALID_PARAMETER', `No ImageNet class matches "${name}": try a word of a class name (e.g. "turtle") or a synset id (n01664065)`);
  }
  const ids = index.union(matched.map((c) => c.classIndex));
  const kept = countKept(ids, new Set(excludeIds));
  return {
    candidateIds: ids,
    gate: { mode: 'explicit', categories: matched.map((c) => ({ classIndex: c.classIndex, name: shortName(c) })), candidates: kept, widened: false, everything: false },
  };
}
