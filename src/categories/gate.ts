/**
 * The category gate: the query's top predicted classes pick candidate images through the
 * inverted index, and codes rank only those. Too few candidates (< k) widen the gate, first
 * to more of the query's classes, then to the whole collection; the result says which
 * happened, a gated search never fails for lack of a category. An explicit category
 * (`--category turtle`) is a filter: it never widens.
 *
 * Which classes count is a rule. The default takes, on both sides, the most probable
 * classes until their probabilities sum to DEFAULT_CATEGORY_MASS: a confident prediction
 * opens one class, an unsure one several. Against a fixed "top 4 for the query, every
 * stored label for an image" it keeps as many same-class images with half the candidates,
 * and ranks better (docs/categories.md). `topCategories` asks for the fixed count instead.
 */
import { SimiliError } from '../errors.js';
import type { ImageLabel } from '../store/catalogue.js';
import { integerInRange, numberInRange } from '../validate.js';
import { matchClasses, shortName, type ClassName } from './classes.js';
import type { LabelIndex } from './label-index.js';

/** Probability mass the query's classes (and each image's, in the index) must cover. */
export const DEFAULT_CATEGORY_MASS = 0.9;
/** At most this many of the query's classes under the mass rule (the predictions kept per image). */
export const MAX_QUERY_CATEGORIES = 10;

/** How many of the query's classes open the gate: a probability mass, or a fixed count. */
export type GateRule = { mass: number } | { top: number };

export interface GateRuleOptions {
  /** A fixed number of the query's top classes; images then count under every stored label. */
  topCategories?: number;
  /** The query's classes until their probabilities sum to this (default 0.9); images count under their classes covering 0.9 (LabelIndex). */
  categoryMass?: number;
}

export function gateRule(options: GateRuleOptions = {}): GateRule {
  if (options.topCategories !== undefined && options.categoryMass !== undefined) {
    throw new SimiliError('INVALID_PARAMETER', 'Expected either topCategories or categoryMass, not both');
  }
  if (options.topCategories !== undefined) return { top: integerInRange('topCategories', options.topCategories, 1, 1000) };
  return { mass: numberInRange('categoryMass', options.categoryMass ?? DEFAULT_CATEGORY_MASS, 0.01, 1) };
}

export function describeRule(rule: GateRule): string {
  return 'top' in rule
    ? `top ${rule.top} predicted categories`
    : `predicted categories covering ${Math.round(rule.mass * 100)} % of the probability (query at most ${MAX_QUERY_CATEGORIES})`;
}

/** The number of leading probabilities (most probable first) that sum to `mass`, at least 1, at most `max`. */
export function massCount(probabilities: ArrayLike<number>, mass: number, max: number): number {
  const n = Math.min(max, probabilities.length);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += probabilities[i]!;
    if (sum >= mass) return i + 1;
  }
  return n;
}

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

export interface PredictedGateOptions extends GateRuleOptions {
  k: number;
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
  const rule = gateRule(options);
  const scope = 'top' in rule ? 'all' : 'confident';
  const exclude = new Set(options.excludeIds ?? []);
  let t = 'top' in rule ? Math.min(rule.top, predictions.length) : massCount(predictions.map((p) => p.probability), rule.mass, MAX_QUERY_CATEGORIES);
  let widened = false;
  while (t > 0) {
    const used = predictions.slice(0, t);
    const ids = index.union(used.map((p) => p.classIndex), scope);
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
