/**
 * Second-stage re-rankers: re-order the top N candidates of the first (cosine) stage.
 *   none         first-stage order
 *   ssim         SSIM of the small greyscale copies (Wang 2004)
 *   ms-ssim      multi-scale SSIM (Wang 2003)
 *   ssim-euclid  SSIM / Euclidean distance of the codes, as the original system did
 *   learned      the collection's trained pair-scoring MLP (see learned/)
 * One interface, so search, eval and the bench run the very same code.
 */
import { invalidParameter } from '../errors.js';
import { integerInRange, oneOf } from '../validate.js';
import type { GreyImage } from './grey.js';
import { halve } from './grey.js';
import { scorePair, type SimilarityModel } from './learned/model.js';
import { SsimQuery, type PreparedImage } from './ssim.js';

export const RERANK_METHODS = ['none', 'ssim', 'ms-ssim', 'ssim-euclid', 'learned'] as const;
export type RerankMethod = (typeof RERANK_METHODS)[number];
export const DEFAULT_RERANK_TOP = 100;
/** Side of the greyscale copy plain SSIM runs on (the stored 128 px copy, halved). */
export const SSIM_SIDE = 64;
/**
 * Floor of the Euclidean distance in ssim-euclid: two L2-normalised codes of near-duplicates are
 * ~0 apart and the ratio must stay finite. 1e-3 is far below any distinct pair's distance
 * (typically 0.3-1.4) so it only ever caps duplicates, which rank first either way.
 */
export const EUCLID_FLOOR = 1e-3;

export interface RerankOptions {
  method: RerankMethod;
  /** How many first-stage candidates are re-ordered (default 100). */
  topN?: number;
}

export interface RerankCandidate {
  id: number;
  code: Float32Array;
  /** First-stage cosine similarity. */
  score: number;
}

export interface RerankQuery {
  code: Float32Array;
  /** The query's greyscale copy (GREY_SIDE square); only SSIM-based methods call it. */
  grey(): Promise<GreyImage | null>;
}

/** Greyscale copies of catalogue images by id (side data, or decoded when missing). */
export type GreyLookup = (ids: readonly number[]) => Promise<Map<number, GreyImage>>;

export interface RerankDeps {
  greys: GreyLookup;
  /** The trained similarity model; only `learned` calls it. */
  model?: () => Promise<SimilarityModel>;
}

export interface Reranker {
  readonly method: RerankMethod;
  /** Candidates in first-stage order -> re-ordered, each with its new score (higher = more similar). */
  rerank(query: RerankQuery, candidates: readonly RerankCandidate[]): Promise<Array<{ id: number; score: number }>>;
}

export function validateRerankOptions(options: unknown): Required<RerankOptions> {
  if (typeof options !== 'object' || options === null) throw invalidParameter('rerank', 'an object { method, topN }', options);
  const o = options as Partial<RerankOptions>;
  return {
    method: oneOf('rerank.method', o.method, RERANK_METHODS),
    topN: integerInRange('rerank.topN', o.topN ?? DEFAULT_RERANK_TOP, 1, 10_000),
  };
}

/** Sort by new score, ties by first-stage order: re-ranking never shuffles equals at random. */
function order(candidates: readonly RerankCandidate[], scores: readonly number[]): Array<{ id: number; score: number }> {
  return candidates
    .map((c, i) => ({ id: c.id, score: scores[i]!, i }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map(({ id, score }) => ({ id, score }));
}

export function euclidean(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/** The greyscale copy each SSIM variant compares: 64 px for SSIM (speed), 128 px for MS-SSIM (5 scales). */
function ssimInput(g: GreyImage, multiScale: boolean): GreyImage {
  return multiScale || g.width <= SSIM_SIDE ? g : halve(g);
}

/** Bytes of candidate statistics a re-ranker keeps between queries (evaluation re-meets the same images). */
const PREPARED_BUDGET = 64 * 1024 * 1024;

/** Candidates' SSIM statistics by id, oldest dropped first once over budget. */
class PreparedCache {
  private readonly map = new Map<number, PreparedImage>();
  private bytes = 0;
  get(id: number): PreparedImage | undefined {
    return this.map.get(id);
  }
  set(id: number, p: PreparedImage): void {
    this.map.set(id, p);
    this.bytes += p.bytes;
    for (const [old, v] of this.map) {
      if (this.bytes <= PREPARED_BUDGET) break;
      this.map.delete(old);
      this.bytes -= v.bytes;
    }
  }
}

/**
 * SSIM scores of every candidate against the query; a candidate without a greyscale copy
 * scores -1 (the SSIM minimum), so it sinks below every comparable one instead of failing.
 */
async function ssimScores(
  query: RerankQuery,
  candidates: readonly RerankCandidate[],
  deps: RerankDeps,
  multiScale: boolean,
  cache: PreparedCache,
): Promise<number[]> {
  const qGrey = await query.grey();
  if (!qGrey) return candidates.map(() => -1);
  const q = new SsimQuery(ssimInput(qGrey, multiScale), multiScale ? 'ms-ssim' : 'ssim');
  const missing = candidates.filter((c) => !cache.get(c.id)).map((c) => c.id);
  const greys = missing.length > 0 ? await deps.greys(missing) : new Map<number, GreyImage>();
  return candidates.map((c) => {
    let p = cache.get(c.id);
    if (!p) {
      const g = greys.get(c.id);
      if (!g) return -1;
      p = q.prepare(ssimInput(g, multiScale));
      cache.set(c.id, p);
    }
    return q.score(p);
  });
}

export function createReranker(method: RerankMethod, deps: RerankDeps): Reranker {
  oneOf('method', method, RERANK_METHODS);
  const cache = new PreparedCache();
  switch (method) {
    case 'none':
      return { method, rerank: async (_q, candidates) => candidates.map((c) => ({ id: c.id, score: c.score })) };
    case 'ssim':
    case 'ms-ssim':
      return { method, rerank: async (q, candidates) => order(candidates, await ssimScores(q, candidates, deps, method === 'ms-ssim', cache)) };
    case 'ssim-euclid':
      return {
        method,
        async rerank(q, candidates) {
          const s = await ssimScores(q, candidates, deps, false, cache);
          return order(candidates, candidates.map((c, i) => s[i]! / Math.max(euclidean(q.code, c.code), EUCLID_FLOOR)));
        },
      };
    case 'learned':
      return {
        method,
        async rerank(q, candidates) {
          if (!deps.model) throw invalidParameter('rerank.method', 'a collection with a trained similarity model (run `simili train similarity`)', method);
          const model = await deps.model();
          return order(candidates, candidates.map((c) => scorePair(model, q.code, c.code)));
        },
      };
  }
}
