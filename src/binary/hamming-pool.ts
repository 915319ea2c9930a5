/**
 * Hamming top-k split across worker_threads: each worker owns a contiguous range of the
 * code matrix (shared memory, never copied) and the main thread merges their top-k lists.
 * Worth it for millions of codes; for thousands the single-thread `hammingTopK` is faster
 * than a message round trip.
 */
import type { Worker } from 'node:worker_threads';
import os from 'node:os';
import { invalidParameter } from '../errors.js';
import { integerInRange } from '../validate.js';
import { mergeTopK, type HammingHit } from './hamming.js';
import { startModuleWorker } from './worker-start.js';

interface Pending {
  remaining: number;
  lists: HammingHit[][];
  k: number;
  resolve: (hits: HammingHit[]) => void;
  reject: (err: Error) => void;
}

interface WorkerReply {
  id: number;
  hits?: HammingHit[];
  error?: string;
}

/** Codes in a SharedArrayBuffer so workers can read them without a copy. */
export function sharedCodes(words: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(words * 4));
}

export class HammingPool {
  readonly wordsPerCode: number;
  readonly count: number;
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /**
   * @param codes packed codes backed by a SharedArrayBuffer (see `sharedCodes`)
   * @param threads worker count; default: available parallelism (at least 1)
   */
  constructor(codes: Uint32Array, wordsPerCode: number, threads = Math.max(1, os.availableParallelism())) {
    if (!(codes.buffer instanceof SharedArrayBuffer)) {
      throw invalidParameter('codes', 'a Uint32Array backed by a SharedArrayBuffer', codes);
    }
    integerInRange('wordsPerCode', wordsPerCode, 1, 1 << 16);
    integerInRange('threads', threads, 1, 256);
    if (codes.length % wordsPerCode !== 0) {
      throw invalidParameter('codes', `a length that is a multiple of ${wordsPerCode} words`, codes.length);
    }
    this.wordsPerCode = wordsPerCode;
    this.count = codes.length / wordsPerCode;
    const per = Math.ceil(this.count / threads);
    for (let t = 0; t < threads; t++) {
      const start = Math.min(this.count, t * per);
      const end = Math.min(this.count, start + per);
      const worker = startModuleWorker('hamming-worker', {
        buffer: codes.buffer, byteOffset: codes.byteOffset, length: codes.length, wordsPerCode, start, end,
      });
      worker.on('message', (reply: WorkerReply) => this.onReply(reply));
      worker.on('error', (err) => this.failAll(err));
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** The k nearest codes, nearest first, ties by lower index (same order as `hammingTopK`). */
  search(query: Uint32Array, k: number): Promise<HammingHit[]> {
    if (query.length !== this.wordsPerCode) {
      throw invalidParameter('query', `a code of ${this.wordsPerCode} words`, query.length);
    }
    integerInRange('k', k, 1, 0x7fffffff);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { remaining: this.workers.length, lists: [], k, resolve, reject });
      // Workers are unref'd while idle so an open pool never keeps the process alive.
      if (this.pending.size === 1) for (const w of this.workers) w.ref();
      for (const w of this.workers) w.postMessage({ id, query, k });
    });
  }

  async close(): Promise<void> {
    this.failAll(new Error('HammingPool closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private onReply(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.settleRefs(reply.id, p, reply.error !== undefined);
    if (reply.error !== undefined) {
      this.pending.delete(reply.id);
      p.reject(new Error(reply.error));
      return;
    }
    p.lists.push(reply.hits ?? []);
    if (--p.remaining === 0) {
      this.pending.delete(reply.id);
      const all = p.lists.flat();
      p.resolve(all.length === 0 ? [] : mergeTopK(p.lists, p.k));
    }
  }

  private settleRefs(id: number, p: Pending, failed: boolean): void {
    const finished = failed || p.remaining === 1;
    if (finished && this.pending.size === 1 && this.pending.has(id)) for (const w of this.workers) w.unref();
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
