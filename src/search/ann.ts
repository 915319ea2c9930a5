/**
 * Approximate nearest neighbours: an HNSW graph (usearch) over L2-normalised codes.
 * This module is the index alone, with no catalogue in sight, so the benchmark measures
 * exactly what search uses; `ann-sync.ts` keeps one in step with a collection on disk.
 *
 * Scores from here are only good enough to pick candidates: callers re-score the top
 * few hundred with the full float codes (see rescore.ts), which is what makes f16/i8/b1
 * storage safe to use.
 */
import usearch, { MetricKind, ScalarKind, type Index } from 'usearch';
import { invalidParameter } from '../errors.js';
import { integerInRange, oneOf } from '../validate.js';

export const ANN_QUANTISATIONS = ['f32', 'f16', 'i8', 'b1'] as const;
export type AnnQuantisation = (typeof ANN_QUANTISATIONS)[number];

export interface AnnSettings {
  /** How each vector is stored in the graph: bytes per dimension 4, 2, 1, or 1/8. */
  quantisation: AnnQuantisation;
  /** Edges per node (HNSW M): more = better recall, more memory, slower build. */
  connectivity: number;
  /** Candidate list while inserting (efConstruction). */
  expansionAdd: number;
  /** Candidate list while searching (ef); raised to the requested count when smaller. */
  expansionSearch: number;
}

/**
 * Chosen with bench/ann.ts (numbers in docs/scaling.md): i8 builds 2x faster than f16/f32
 * and takes 1 byte per dimension; exact re-scoring of the candidates restores the order.
 * At a million vectors, connectivity 16 stalls below 0.95 recall@10 whatever ef is (0.939);
 * 32 edges with ef 1024 reach 0.956 at p50 3.3 ms.
 */
export const DEFAULT_ANN_SETTINGS: Readonly<AnnSettings> = Object.freeze({
  quantisation: 'i8',
  connectivity: 32,
  expansionAdd: 128,
  expansionSearch: 1024,
});

/** Fill in and check user-supplied settings (collection settings, CLI, bench env). */
export function annSettings(partial: Partial<AnnSettings> = {}): AnnSettings {
  const s = { ...DEFAULT_ANN_SETTINGS, ...partial };
  return {
    quantisation: oneOf('ann.quantisation', s.quantisation, ANN_QUANTISATIONS),
    connectivity: integerInRange('ann.connectivity', s.connectivity, 2, 256),
    expansionAdd: integerInRange('ann.expansionAdd', s.expansionAdd, 1, 4096),
    expansionSearch: integerInRange('ann.expansionSearch', s.expansionSearch, 1, 4096),
  };
}

export interface AnnMatch {
  id: number;
  /** Approximate similarity, higher is better; comparable only within one index. */
  score: number;
}

function metricFor(q: AnnQuantisation): MetricKind {
  if (q === 'b1') return MetricKind.Hamming;
  // usearch scales i8 by 127 and its i8 inner product is not 1 - dot; cosine is normalised.
  if (q === 'i8') return MetricKind.Cos;
  return MetricKind.IP;
}

function scalarFor(q: AnnQuantisation): ScalarKind {
  return { f32: ScalarKind.F32, f16: ScalarKind.F16, i8: ScalarKind.I8, b1: ScalarKind.B1 }[q];
}

/**
 * v - centre: usearch turns each f32 into one bit (positive or not) for b1. L2-normalised CNN
 * codes are mostly positive (ReLU features), so bits against zero would be nearly all ones:
 * the centre (the mean code) is what makes them informative.
 */
export function centred(data: Float32Array, n: number, dim: number, centre: Float32Array | null): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) out[i * dim + j] = data[i * dim + j]! - (centre ? centre[j]! : 0);
  }
  return out;
}

/** Mean of the rows: the centre b1 codes are taken against. */
export function meanRow(data: Float32Array, n: number, dim: number): Float32Array {
  const sum = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) sum[j]! += data[i * dim + j]!;
  return Float32Array.from(sum, (s) => (n > 0 ? s / n : 0));
}

export interface AnnIndexOptions {
  /** b1 only: the centre bits are taken against (default: zero). */
  centre?: Float32Array | null;
}

export class AnnIndex {
  readonly dim: number;
  readonly settings: AnnSettings;
  readonly centre: Float32Array | null;
  private index: Index;
  /** A memory-mapped view cannot be changed: the first change loads it into memory. */
  private viewedFile: string | null = null;

  constructor(dim: number, settings: AnnSettings, options: AnnIndexOptions = {}) {
    this.dim = integerInRange('dim', dim, 1, 65_536);
    this.settings = settings;
    this.centre = options.centre ?? null;
    if (this.centre && this.centre.length !== dim) throw invalidParameter('centre', `a vector of ${dim} numbers`, this.centre.length);
    this.index = this.makeIndex();
  }

  private makeIndex(): Index {
    const s = this.settings;
    return new usearch.Index({
      dimensions: this.dim,
      metric: metricFor(s.quantisation),
      quantization: scalarFor(s.quantisation),
      connectivity: s.connectivity,
      expansion_add: s.expansionAdd,
      expansion_search: s.expansionSearch,
      multi: false,
    });
  }

  /** Live vectors (removed ones excluded). */
  get size(): number {
    return this.index.size();
  }

  /** Open a saved index: memory-mapped (`view`, read-only, pages loaded on demand) or loaded. */
  static open(file: string, dim: number, settings: AnnSettings, options: AnnIndexOptions & { view?: boolean } = {}): AnnIndex {
    const ann = new AnnIndex(dim, settings, options);
    if (options.view ?? true) {
      ann.index.view(file);
      ann.viewedFile = file;
    } else ann.index.load(file);
    return ann;
  }

  private writable(): Index {
    if (this.viewedFile !== null) {
      const loaded = this.makeIndex();
      loaded.load(this.viewedFile);
      this.index = loaded;
      this.viewedFile = null;
    }
    return this.index;
  }

  private vectors(data: Float32Array, n: number): Float32Array {
    if (this.settings.quantisation === 'b1') return centred(data, n, this.dim, this.centre);
    // Copy views into larger arrays: some usearch entry points ignore byteOffset.
    return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
  }

  /**
   * Add rows of `data` (row-major, `dim` wide) under integer ids (image ids), on one thread:
   * usearch's concurrent insertion strands nodes no search reaches (unum-cloud/USearch#735,
   * still in 2.26.2; here 0.1-0.3 % of the nodes of a 300-3,000 vector graph built on 2
   * threads, none on one), and a 100k graph builds only 1.2x slower this way. `threads` is
   * there for benchmarks that must compare with graphs built on more, nothing else.
   */
  add(ids: ArrayLike<number>, data: Float32Array, threads = 1): void {
    const n = ids.length;
    if (n === 0) return;
    if (data.length !== n * this.dim) throw invalidParameter('data', `${n} x ${this.dim} numbers`, data.length);
    const keys = new BigUint64Array(n);
    for (let i = 0; i < n; i++) keys[i] = BigInt(ids[i]!);
    this.writable().add(keys, this.vectors(data, n), integerInRange('threads', threads, 0, 1024));
  }

  remove(ids: readonly number[]): number {
    if (ids.length === 0) return 0;
    const removed = this.writable().remove(BigUint64Array.from(ids, (id) => BigInt(id)));
    return Array.isArray(removed) ? removed.reduce((a, b) => a + b, 0) : removed;
  }

  /** The `count` nearest ids, best first. */
  search(query: Float32Array, count: number, threads = 1): AnnMatch[] {
    if (query.length !== this.dim) throw invalidParameter('query', `a vector of ${this.dim} numbers`, query.length);
    const size = this.size;
    if (size === 0 || count <= 0) return [];
    const q = this.vectors(query, 1);
    const res = this.index.search(q, Math.min(count, size), threads);
    const out: AnnMatch[] = [];
    for (let i = 0; i < res.keys.length; i++) {
      const d = res.distances[i]!;
      // ip/cos distances are 1 - similarity; Hamming counts differing bits.
      const score = this.settings.quantisation === 'b1' ? -d : 1 - d;
      out.push({ id: Number(res.keys[i]!), score });
    }
    return out;
  }

  save(file: string): void {
    this.writable().save(file);
  }
}
