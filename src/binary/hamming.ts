/**
 * Hamming top-k over bit codes packed into 32-bit words.
 *
 * A code of `bits` bits occupies `bits / 32` consecutive words of one flat Uint32Array;
 * code i is words [i * wordsPerCode, (i + 1) * wordsPerCode). Bit order inside a word is the
 * caller's business as long as queries and codes agree (see `packBits`).
 *
 * The scan keeps a bounded max-heap of the k best (distance, index) pairs; since distances
 * are small integers most candidates are rejected by one comparison against the current
 * worst, so the cost is the XOR + popcount itself. Ties are broken by lower index: codes
 * are visited in index order and an equal distance never displaces an earlier index.
 */
import { invalidParameter } from '../errors.js';
import { integerInRange } from '../validate.js';

export interface HammingHit {
  index: number;
  distance: number;
}

/** Number of set bits of a 32-bit word (SWAR; measured faster than a 16-bit table in V8). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Hamming distance between the `words`-word codes starting at word offsets aOffset of a and bOffset of b. */
export function hammingDistance(a: Uint32Array, aOffset: number, b: Uint32Array, bOffset: number, words: number): number {
  let d = 0;
  for (let w = 0; w < words; w++) d += popcount32((a[aOffset + w]! ^ b[bOffset + w]!) >>> 0);
  return d;
}

/** Words per code for a bit length; bits must be a positive multiple of 32. */
export function wordsForBits(bits: number): number {
  if (!Number.isInteger(bits) || bits <= 0 || bits % 32 !== 0) {
    throw invalidParameter('bits', 'a positive multiple of 32', bits);
  }
  return bits / 32;
}

/**
 * Pack one code given as 0/1 (or boolean-ish: > 0 is a one) values into words,
 * bit j of the code at word j >> 5, bit position j & 31.
 */
export function packBits(values: ArrayLike<number>, out?: Uint32Array, outOffset = 0): Uint32Array {
  const words = wordsForBits(values.length);
  const dst = out ?? new Uint32Array(words);
  for (let w = 0; w < words; w++) {
    let word = 0;
    const base = w * 32;
    for (let b = 0; b < 32; b++) if (values[base + b]! > 0) word |= 1 << b;
    dst[outOffset + w] = word >>> 0;
  }
  return dst;
}

/** Inverse of `packBits`: 0/1 bytes. */
export function unpackBits(words: Uint32Array, offset: number, bits: number): Uint8Array {
  const out = new Uint8Array(bits);
  for (let j = 0; j < bits; j++) out[j] = (words[offset + (j >> 5)]! >>> (j & 31)) & 1;
  return out;
}

export interface ScanOptions {
  /** First code index to scan (inclusive); default 0. Used to split a scan across workers. */
  start?: number;
  /** Last code index to scan (exclusive); default all. */
  end?: number;
}

function validateScan(codes: Uint32Array, query: Uint32Array, wordsPerCode: number, k: number): number {
  integerInRange('wordsPerCode', wordsPerCode, 1, 1 << 16);
  if (codes.length % wordsPerCode !== 0) {
    throw invalidParameter('codes', `a length that is a multiple of ${wordsPerCode} words`, codes.length);
  }
  if (query.length !== wordsPerCode) {
    throw invalidParameter('query', `a code of ${wordsPerCode} words`, query.length);
  }
  integerInRange('k', k, 1, 0x7fffffff);
  return codes.length / wordsPerCode;
}

/**
 * The k nearest codes to `query` by Hamming distance, nearest first, ties by lower index.
 * `codes` may be backed by a SharedArrayBuffer (as the worker pool does).
 */
export function hammingTopK(
  codes: Uint32Array,
  wordsPerCode: number,
  query: Uint32Array,
  k: number,
  options: ScanOptions = {},
): HammingHit[] {
  const n = validateScan(codes, query, wordsPerCode, k);
  const start = options.start ?? 0;
  const end = options.end ?? n;
  integerInRange('start', start, 0, n);
  integerInRange('end', end, start, n);
  const heap = new TopKHeap(Math.min(k, end - start));
  if (heap.capacity === 0) return [];
  if (wordsPerCode === 8) scan8(codes, query, start, end, heap);
  else scanAny(codes, wordsPerCode, query, start, end, heap);
  return heap.sorted();
}

/**
 * The 256-bit case unrolled: query words live in locals, which V8 keeps in registers.
 * This is the layout the benchmark (10M x 256 bits) exercises.
 */
function scan8(codes: Uint32Array, q: Uint32Array, start: number, end: number, heap: TopKHeap): void {
  const q0 = q[0]!, q1 = q[1]!, q2 = q[2]!, q3 = q[3]!, q4 = q[4]!, q5 = q[5]!, q6 = q[6]!, q7 = q[7]!;
  let worst = heap.full() ? heap.worstDistance() : 0x7fffffff;
  for (let i = start, o = start * 8; i < end; i++, o += 8) {
    const d =
      pc(codes[o]! ^ q0) + pc(codes[o + 1]! ^ q1) + pc(codes[o + 2]! ^ q2) + pc(codes[o + 3]! ^ q3) +
      pc(codes[o + 4]! ^ q4) + pc(codes[o + 5]! ^ q5) + pc(codes[o + 6]! ^ q6) + pc(codes[o + 7]! ^ q7);
    if (d < worst) {
      heap.push(d, i);
      if (heap.full()) worst = heap.worstDistance();
    }
  }
}

function scanAny(codes: Uint32Array, words: number, q: Uint32Array, start: number, end: number, heap: TopKHeap): void {
  let worst = 0x7fffffff;
  for (let i = start, o = start * words; i < end; i++, o += words) {
    let d = 0;
    for (let w = 0; w < words; w++) d += pc(codes[o + w]! ^ q[w]!);
    if (d < worst) {
      heap.push(d, i);
      if (heap.full()) worst = heap.worstDistance();
    }
  }
}

/** Same as popcount32 but accepts the signed result of `^` directly (the SWAR steps don't care). */
function pc(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Bounded max-heap on (distance, index): the root is the worst kept hit, so a candidate
 * only enters when it beats the root, and then replaces it.
 */
export class TopKHeap {
  readonly capacity: number;
  private readonly dist: Int32Array;
  private readonly idx: Int32Array;
  private size = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.dist = new Int32Array(capacity);
    this.idx = new Int32Array(capacity);
  }

  full(): boolean {
    return this.size === this.capacity;
  }

  worstDistance(): number {
    return this.dist[0]!;
  }

  /** Offer a hit; kept if the heap is not full or it beats the worst by (distance, index). */
  push(distance: number, index: number): void {
    if (this.size < this.capacity) {
      this.siftUp(this.size++, distance, index);
    } else if (worse(this.dist[0]!, this.idx[0]!, distance, index)) {
      this.siftDown(distance, index);
    }
  }

  /** Kept hits, best first. */
  sorted(): HammingHit[] {
    const hits: HammingHit[] = [];
    for (let i = 0; i < this.size; i++) hits.push({ index: this.idx[i]!, distance: this.dist[i]! });
    // k is small next to N: sorting the survivors is cheap; the scan itself never sorts.
    hits.sort((a, b) => a.distance - b.distance || a.index - b.index);
    return hits;
  }

  private siftUp(pos: number, d: number, i: number): void {
    const dist = this.dist, idx = this.idx;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!worse(d, i, dist[parent]!, idx[parent]!)) break;
      dist[pos] = dist[parent]!;
      idx[pos] = idx[parent]!;
      pos = parent;
    }
    dist[pos] = d;
    idx[pos] = i;
  }

  private siftDown(d: number, i: number): void {
    const dist = this.dist, idx = this.idx, n = this.size;
    let pos = 0;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && worse(dist[child + 1]!, idx[child + 1]!, dist[child]!, idx[child]!)) child++;
      if (!worse(dist[child]!, idx[child]!, d, i)) break;
      dist[pos] = dist[child]!;
      idx[pos] = idx[child]!;
      pos = child;
    }
    dist[pos] = d;
    idx[pos] = i;
  }
}

/** (d1, i1) ranks after (d2, i2). */
function worse(d1: number, i1: number, d2: number, i2: number): boolean {
  return d1 > d2 || (d1 === d2 && i1 > i2);
}

/** Merge per-range top-k lists (e.g. from workers) into one, nearest first, ties by index. */
export function mergeTopK(lists: HammingHit[][], k: number): HammingHit[] {
  integerInRange('k', k, 1, 0x7fffffff);
  const all = lists.flat();
  all.sort((a, b) => a.distance - b.distance || a.index - b.index);
  return all.slice(0, k);
}
