/**
 * Two-stage search over binary codes: a Hamming scan keeps the top R candidates (cheap,
 * 32 bytes per image for 256 bits), then the full float codes re-rank only those R by
 * cosine. The float matrix can live on disk or in a slower tier; only R rows are read.
 */
import { invalidParameter } from '../errors.js';
import { integerInRange } from '../validate.js';
import { hammingTopK } from './hamming.js';

export interface RerankedHit {
  index: number;
  /** Cosine similarity (dot product of L2-normalised float codes). */
  score: number;
  /** Hamming distance that got it into the candidate set. */
  distance: number;
}

export interface HammingRerankInput {
  /** Packed binary codes, `wordsPerCode` words per image. */
  codes: Uint32Array;
  wordsPerCode: number;
  queryCode: Uint32Array;
  /** Row-major L2-normalised float codes, rows aligned with `codes`. */
  floats: Float32Array;
  dim: number;
  queryFloat: Float32Array;
  /** Results wanted. */
  k: number;
  /** Hamming candidates re-ranked (>= k); e.g. 500. */
  candidates: number;
  /** Indexes never returned (e.g. the query itself in leave-one-out). */
  exclude?: ReadonlySet<number>;
}

/** Top k by float cosine among the Hamming top `candidates`; ties by lower index. */
export function hammingThenRerank(input: HammingRerankInput): RerankedHit[] {
  const { codes, wordsPerCode, queryCode, floats, dim, queryFloat, k, candidates, exclude } = input;
  integerInRange('k', k, 1, 0x7fffffff);
  integerInRange('candidates', candidates, k, 0x7fffffff);
  integerInRange('dim', dim, 1, 1 << 16);
  if (queryFloat.length !== dim) throw invalidParameter('queryFloat', `a vector of length ${dim}`, queryFloat.length);
  const n = codes.length / wordsPerCode;
  if (floats.length !== n * dim) throw invalidParameter('floats', `${n} rows of ${dim}`, floats.length);
  const extra = exclude ? exclude.size : 0;
  const hits = hammingTopK(codes, wordsPerCode, queryCode, Math.min(n, candidates + extra));
  const out: RerankedHit[] = [];
  for (const h of hits) {
    if (exclude?.has(h.index)) continue;
    if (out.length === candidates) break;
    let s = 0;
    const o = h.index * dim;
    for (let d = 0; d < dim; d++) s += floats[o + d]! * queryFloat[d]!;
    out.push({ index: h.index, score: s, distance: h.distance });
  }
  out.sort((a, b) => b.score - a.score || a.index - b.index);
  return out.slice(0, k);
}
