/**
 * Where training pairs come from. Every pair remembers the matrix rows it was made from, so a
 * split can be checked: no pair may touch a row outside the rows it was mined from.
 *
 * Supervised (class folders): same class = 1; other class = 0, half of those the nearest
 * other-class codes (the confusions a re-ranker must fix), half random.
 *
 * Unsupervised, as in the original system (targets from SSIM and Euclidean distance):
 *  - easy positives: an image and an augmented, re-encoded copy of itself (crop, flip,
 *    colour jitter, JPEG) -> 1;
 *  - easy negatives: random pairs whose codes are farther apart than the median pair -> 0;
 *  - difficult pairs: code-space neighbours, graded by SSIM / Euclidean distance, rank-normalised
 *    over all neighbour pairs to [0, 1] -> close in code but structurally different scores low.
 */
import { seededRandom } from '../../random.js';
import { dot } from '../../search/exact.js';
import type { CodeMatrix } from '../../store/catalogue.js';
import type { GreyImage } from '../grey.js';
import { halve } from '../grey.js';
import { euclidean, EUCLID_FLOOR, SSIM_SIDE } from '../rerankers.js';
import { SsimQuery } from '../ssim.js';
import type { Pair } from './train.js';

export type PairKind = 'same-class' | 'other-class' | 'hard-negative' | 'augmented' | 'far' | 'near';

export interface MinedPair extends Pair {
  rows: [number, number];
  kind: PairKind;
}

export function codeRow(matrix: CodeMatrix, row: number): Float32Array {
  return matrix.data.subarray(row * matrix.dim, (row + 1) * matrix.dim);
}

/** The `m` nearest rows (by cosine) of each row, among `rows` only. */
export function neighbours(matrix: CodeMatrix, rows: readonly number[], m: number): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const scores = new Float64Array(rows.length);
  for (const r of rows) {
    const q = codeRow(matrix, r);
    rows.forEach((o, i) => { scores[i] = o === r ? -Infinity : dot(matrix.data, o * matrix.dim, q, matrix.dim); });
    const idx = rows.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!).slice(0, Math.min(m, rows.length - 1));
    out.set(r, idx.map((i) => rows[i]!));
  }
  return out;
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

function pair(matrix: CodeMatrix, i: number, j: number, target: number, kind: PairKind): MinedPair {
  return { a: codeRow(matrix, i), b: codeRow(matrix, j), target, rows: [i, j], kind };
}

export function supervisedPairs(matrix: CodeMatrix, labels: readonly string[], rows: readonly number[], count: number, seed = 1): MinedPair[] {
  const random = seededRandom(seed);
  const byClass = new Map<string, number[]>();
  for (const r of rows) byClass.set(labels[r]!, [...(byClass.get(labels[r]!) ?? []), r]);
  const anchors = rows.filter((r) => byClass.get(labels[r]!)!.length >= 2);
  if (anchors.length === 0 || byClass.size < 2) return [];
  const near = neighbours(matrix, rows, 20);
  const out: MinedPair[] = [];
  for (let n = 0; n < count; n++) {
    const a = pick(anchors, random);
    const label = labels[a]!;
    if (n % 2 === 0) {
      const same = byClass.get(label)!.filter((r) => r !== a);
      out.push(pair(matrix, a, pick(same, random), 1, 'same-class'));
    } else if (n % 4 === 1) {
      const hard = near.get(a)!.filter((r) => labels[r] !== label);
      if (hard.length > 0) {
        out.push(pair(matrix, a, hard[Math.floor(random() * Math.min(5, hard.length))]!, 0, 'hard-negative'));
        continue;
      }
      // No confusable neighbour: a random negative instead.
      let b = pick(rows, random);
      while (labels[b] === label) b = pick(rows, random);
      out.push(pair(matrix, a, b, 0, 'other-class'));
    } else {
      let b = pick(rows, random);
      while (labels[b] === label) b = pick(rows, random);
      out.push(pair(matrix, a, b, 0, 'other-class'));
    }
  }
  return out;
}

export interface UnsupervisedSources {
  /** The code of an augmented, re-encoded copy of a row's image. */
  augmentedCode(row: number): Promise<Float32Array>;
  /** Greyscale copies (GREY_SIDE square) of rows' images. */
  greys(rows: readonly number[]): Promise<Map<number, GreyImage>>;
}

export interface UnsupervisedCounts {
  augmented: number;
  far: number;
  /** Anchors whose nearest neighbours become graded pairs. */
  nearAnchors: number;
  /** Neighbours per anchor. */
  perAnchor?: number;
}

/** Rank-normalise to [0, 1]: ties share their mean rank. */
export function rankNormalise(values: readonly number[]): number[] {
  if (values.length === 1) return [0.5];
  const idx = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Array<number>(values.length);
  for (let s = 0; s < idx.length;) {
    let e = s;
    while (e + 1 < idx.length && values[idx[e + 1]!] === values[idx[s]!]) e++;
    for (let k = s; k <= e; k++) out[idx[k]!] = (s + e) / 2 / (values.length - 1);
    s = e + 1;
  }
  return out;
}

export async function unsupervisedPairs(
  matrix: CodeMatrix,
  rows: readonly number[],
  sources: UnsupervisedSources,
  counts: UnsupervisedCounts,
  seed = 1,
): Promise<MinedPair[]> {
  const random = seededRandom(seed);
  const out: MinedPair[] = [];
  for (let n = 0; n < counts.augmented; n++) {
    const r = pick(rows, random);
    out.push({ a: codeRow(matrix, r), b: await sources.augmentedCode(r), target: 1, rows: [r, r], kind: 'augmented' });
  }
  // The median distance of random pairs separates "far" from the rest.
  const sample = Array.from({ length: 400 }, () => [pick(rows, random), pick(rows, random)] as const).filter(([i, j]) => i !== j);
  const dists = sample.map(([i, j]) => euclidean(codeRow(matrix, i), codeRow(matrix, j))).sort((a, b) => a - b);
  const median = dists[Math.floor(dists.length / 2)] ?? 0;
  for (let n = 0, tries = 0; n < counts.far && tries < counts.far * 20; tries++) {
    const i = pick(rows, random);
    const j = pick(rows, random);
    if (i === j || euclidean(codeRow(matrix, i), codeRow(matrix, j)) <= median) continue;
    out.push(pair(matrix, i, j, 0, 'far'));
    n++;
  }
  const anchors = Array.from({ length: Math.min(counts.nearAnchors, rows.length) }, () => pick(rows, random));
  const near = neighbours(matrix, rows, counts.perAnchor ?? 5);
  const graded: Array<{ i: number; j: number; r: number }> = [];
  for (const a of anchors) {
    const nb = near.get(a)!;
    const greys = await sources.greys([a, ...nb]);
    const ga = greys.get(a);
    if (!ga) continue;
    const q = new SsimQuery(ga.width > SSIM_SIDE ? halve(ga) : ga);
    for (const b of nb) {
      const gb = greys.get(b);
      if (!gb) continue;
      const s = q.score(gb.width > SSIM_SIDE ? halve(gb) : gb);
      graded.push({ i: a, j: b, r: s / Math.max(euclidean(codeRow(matrix, a), codeRow(matrix, b)), EUCLID_FLOOR) });
    }
  }
  const targets = rankNormalise(graded.map((g) => g.r));
  graded.forEach((g, k) => out.push(pair(matrix, g.i, g.j, targets[k]!, 'near')));
  return out;
}
