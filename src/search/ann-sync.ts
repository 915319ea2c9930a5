/**
 * A collection's ANN index on disk, kept in step with its catalogue.
 *
 * Three files in the collection folder, named after the encoder so a recipe change never
 * reads a stale graph: `ann-<h>.usearch` (the graph), `ann-<h>.keys` (id and a hash prefix
 * per vector, id order: what the graph holds, so a diff against the catalogue finds what
 * to add and remove) and `ann-<h>.json` (catalogue generation it matches, settings, and how
 * many deletes it carries). Each is written to a temporary name and renamed, the JSON
 * last; a torn set (graph and keys disagree on the count) is rebuilt.
 *
 * Memory: vectors are read from the catalogue 1024 at a time, never as one matrix; the
 * diff holds 16 bytes per image.
 *
 * A long build or patch (10M vectors take hours on one thread) saves what it has every
 * `checkpointSeconds`: the graph so far, with the keys it holds and a generation no catalogue
 * has, so the next sync (after a kill, a crash, Ctrl-C) sees a stale graph missing some images
 * and adds only those.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { indexedPages, type CatalogueStore } from '../store/catalogue.js';
import { AnnIndex, meanRow, type AnnMatch, type AnnSettings } from './ann.js';

/** Rebuild instead of patching once this share of the graph is tombstones (usearch never reclaims them). */
export const COMPACT_RATIO = 0.2;
const PAGE = 5000;
const ADD_CHUNK = 1024;
const FORMAT = 1;
/** Seconds of adding between saves of an unfinished graph: builds shorter than this never pay for one. */
export const CHECKPOINT_SECONDS = 600;
/** The generation of a checkpoint: matches no catalogue, so the next sync always completes it. */
const UNFINISHED = -1;

interface Sidecar {
  format: number;
  encoderId: string;
  /** Identity of the codes (encoder + learned post-processing): a change means every code changed. */
  codesVersion: string;
  dim: number;
  settings: AnnSettings;
  generation: number;
  count: number;
  /** Vectors removed since the last full build (tombstones in the graph). */
  deleted: number;
  centre: number[] | null;
}

export interface AnnSyncResult {
  added: number;
  removed: number;
  rebuilt: boolean;
  seconds: number;
}

/** A saved graph as its files describe it, read without loading the graph. */
export interface AnnGraphStatus {
  vectors: number;
  /** Size of the graph file. */
  bytes: number;
  /** Removed vectors it still carries (rebuilt past COMPACT_RATIO). */
  deleted: number;
  /** It matches the catalogue now: a search uses it as it is. */
  current: boolean;
  /** A build or patch was interrupted: the next sync adds the rest. */
  unfinished: boolean;
}

export interface AnnSyncProgress {
  phase: 'scan' | 'build' | 'update';
  done: number;
  total: number;
}

/** 52 bits of a sha256 hex: exact in a double, and collisions only matter for one id's own change. */
function hashPrefix(hash: string | null): number {
  return hash ? parseInt(hash.slice(0, 13), 16) : -1;
}

/** Growable (id, hash prefix) pairs. */
class KeyList {
  data: Float64Array = new Float64Array(2048);
  length = 0;
  push(id: number, prefix: number): void {
    if (this.length * 2 + 2 > this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length * 2] = id;
    this.data[this.length * 2 + 1] = prefix;
    this.length++;
  }
  static from(data: Float64Array): KeyList {
    const k = new KeyList();
    k.data = data;
    k.length = data.length / 2;
    return k;
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length * 2);
  }
}

/**
 * The keys a graph holds part way through adding `adding` (id order), `done` of them added:
 * those of `current` not still to come and not found missing.
 */
function keysSoFar(current: KeyList, adding: readonly number[], done: number, missing: ReadonlySet<number>): KeyList {
  const out = new KeyList();
  let next = done;
  for (let i = 0; i < current.length; i++) {
    const id = current.data[i * 2]!;
    while (next < adding.length && adding[next]! < id) next++;
    if ((next < adding.length && adding[next] === id) || missing.has(id)) continue;
    out.push(id, current.data[i * 2 + 1]!);
  }
  return out;
}

export function annFileBase(dir: string, encoderId: string): string {
  const h = createHash('sha256').update(encoderId).digest('hex').slice(0, 12);
  return path.join(dir, `ann-${h}`);
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

export class CollectionAnn {
  private readonly base: string;
  private ann: AnnIndex | null = null;
  private keys: KeyList | null = null;
  private sidecar: Sidecar | null = null;
  private readonly checkpointMs: number;

  constructor(
    dir: string,
    private readonly store: CatalogueStore,
    private readonly encoderId: string,
    private readonly codesVersion: string,
    readonly settings: AnnSettings,
    options: { checkpointSeconds?: number } = {},
  ) {
    this.base = annFileBase(dir, encoderId);
    this.checkpointMs = (options.checkpointSeconds ?? CHECKPOINT_SECONDS) * 1000;
  }

  get files(): { graph: string; keys: string; meta: string } {
    return { graph: `${this.base}.usearch`, keys: `${this.base}.keys`, meta: `${this.base}.json` };
  }

  /** Vectors in the graph (after the last sync). */
  get size(): number {
    return this.ann?.size ?? 0;
  }

  private matches(s: Sidecar): boolean {
    // The search-time candidate list is not part of the graph: changing it needs no rebuild.
    const built = (x: AnnSettings): string => JSON.stringify([x.quantisation, x.connectivity, x.expansionAdd]);
    return s.format === FORMAT && s.encoderId === this.encoderId && s.codesVersion === this.codesVersion &&
      built(s.settings) === built(this.settings);
  }

  /** The saved graph if it is this collection's and whole; memory-mapped, so opening is instant. */
  private openSaved(): void {
    const f = this.files;
    if (!existsSync(f.meta) || !existsSync(f.graph) || !existsSync(f.keys)) return;
    try {
      const s = JSON.parse(readFileSync(f.meta, 'utf8')) as Sidecar;
      if (!this.matches(s)) return;
      const raw = readFileSync(f.keys);
      const keyData = new Float64Array(raw.byteLength / 8);
      new Uint8Array(keyData.buffer).set(raw);
      const ann = AnnIndex.open(f.graph, s.dim, this.settings, { view: true, centre: s.centre ? Float32Array.from(s.centre) : null });
      if (ann.size !== keyData.length / 2 || ann.size !== s.count) return;
      this.ann = ann;
      this.keys = KeyList.from(keyData);
      this.sidecar = s;
    } catch {
      // Unreadable or torn: the caller rebuilds.
    }
  }

  /** The saved graph, if any is this collection's; null when the next sync builds from nothing. */
  async status(): Promise<AnnGraphStatus | null> {
    const f = this.files;
    try {
      const s = JSON.parse(await fs.readFile(f.meta, 'utf8')) as Sidecar;
      if (!this.matches(s)) return null;
      const bytes = (await fs.stat(f.graph)).size;
      return { vectors: s.count, bytes, deleted: s.deleted, current: s.generation === (await this.store.generation()), unfinished: s.generation === UNFINISHED };
    } catch {
      return null;
    }
  }

  /** What the catalogue holds now: (id, hash prefix) of every indexed image, id order. */
  private async scan(onProgress?: (p: AnnSyncProgress) => void): Promise<KeyList> {
    const total = await this.store.countImages('indexed');
    const out = new KeyList();
    onProgress?.({ phase: 'scan', done: 0, total });
    for await (const page of indexedPages(this.store, PAGE)) {
      for (const r of page) out.push(r.id, hashPrefix(r.hash));
      onProgress?.({ phase: 'scan', done: out.length, total });
    }
    return out;
  }

  /**
   * Codes of `ids` (id order) in chunks, added to `ann`, checkpointed as they go; returns the
   * ids without a code (removed meanwhile), which the keys must drop. `current` is what the
   * graph will hold at the end, `deleted` the tombstones it carries.
   */
  private async addFromStore(
    ann: AnnIndex, ids: readonly number[], current: KeyList, deleted: number, onChunk: (done: number) => void, signal?: AbortSignal,
  ): Promise<Set<number>> {
    const missing = new Set<number>();
    let savedAt = performance.now();
    for (let start = 0; start < ids.length; start += ADD_CHUNK) {
      const chunk = ids.slice(start, start + ADD_CHUNK);
      const got: number[] = [];
      const data = new Float32Array(chunk.length * ann.dim);
      const codes = await this.store.getCodes(chunk);
      for (const id of chunk) {
        const code = codes.get(id);
        if (!code || code.length !== ann.dim) {
          missing.add(id);
          continue;
        }
        data.set(code, got.length * ann.dim);
        got.push(id);
      }
      ann.add(got, data.subarray(0, got.length * ann.dim));
      const done = Math.min(start + ADD_CHUNK, ids.length);
      onChunk(done);
      const stop = signal?.aborted === true;
      if (done < ids.length && (stop || performance.now() - savedAt >= this.checkpointMs)) {
        this.ann = ann;
        this.keys = keysSoFar(current, ids, done, missing);
        this.sidecar = this.describe(UNFINISHED, deleted);
        await this.save();
        savedAt = performance.now();
      }
      // Stopped: what was added is saved, the next sync goes on from there.
      if (stop && done < ids.length) signal.throwIfAborted();
    }
    return missing;
  }

  private describe(generation: number, deleted: number): Sidecar {
    const ann = this.ann!;
    return {
      format: FORMAT,
      encoderId: this.encoderId,
      codesVersion: this.codesVersion,
      dim: ann.dim,
      settings: this.settings,
      generation,
      count: ann.size,
      deleted,
      centre: ann.centre ? Array.from(ann.centre) : null,
    };
  }

  /** A fresh graph over every current image: first build, settings change, or compaction. */
  private async build(current: KeyList, onProgress?: (p: AnnSyncProgress) => void, signal?: AbortSignal): Promise<KeyList> {
    const ids = Array.from({ length: current.length }, (_, i) => current.data[i * 2]!);
    // Dimension and (for bits) the centre come from the first codes.
    const sample = [...(await this.store.getCodes(ids.slice(0, 2000))).values()];
    const dim = sample[0]?.length ?? 0;
    if (dim === 0) {
      this.ann = null;
      return new KeyList();
    }
    let centre: Float32Array | null = null;
    if (this.settings.quantisation === 'b1') {
      const flat = new Float32Array(sample.length * dim);
      sample.forEach((c, i) => flat.set(c, i * dim));
      centre = meanRow(flat, sample.length, dim);
    }
    const ann = new AnnIndex(dim, this.settings, { centre });
    const missing = await this.addFromStore(ann, ids, current, 0, (done) => onProgress?.({ phase: 'build', done, total: ids.length }), signal);
    this.ann = ann;
    return missing.size === 0 ? current : keysSoFar(current, [], 0, missing);
  }

  /**
   * Bring the graph in step with the catalogue: nothing when the generation matches,
   * a patch (remove + add) for ordinary changes, a rebuild when stale or too holed.
   */
  async sync(onProgress?: (p: AnnSyncProgress) => void, signal?: AbortSignal): Promise<AnnSyncResult> {
    try {
      return await this.syncOnce(onProgress, signal);
    } catch (err) {
      // The graph in memory may hold more than its last checkpoint says: forget it, reopen the saved one.
      this.ann = null;
      this.keys = null;
      this.sidecar = null;
      throw err;
    }
  }

  private async syncOnce(onProgress?: (p: AnnSyncProgress) => void, signal?: AbortSignal): Promise<AnnSyncResult> {
    const started = performance.now();
    const generation = await this.store.generation();
    if (!this.ann) this.openSaved();
    const result: AnnSyncResult = { added: 0, removed: 0, rebuilt: false, seconds: 0 };
    if (this.ann && this.sidecar?.generation === generation) return result;

    const current = await this.scan(onProgress);
    const old = this.ann && this.keys ? this.keys : null;
    const toRemove: number[] = [];
    const toAdd: number[] = [];
    if (old) {
      // Merge join: both lists are in id order.
      let i = 0, j = 0;
      while (i < old.length || j < current.length) {
        const oid = i < old.length ? old.data[i * 2]! : Infinity;
        const cid = j < current.length ? current.data[j * 2]! : Infinity;
        if (oid === cid) {
          if (old.data[i * 2 + 1] !== current.data[j * 2 + 1]) {
            toRemove.push(oid);
            toAdd.push(cid);
          }
          i++; j++;
        } else if (oid < cid) {
          toRemove.push(oid);
          i++;
        } else {
          toAdd.push(cid);
          j++;
        }
      }
    }
    const deleted = (this.sidecar?.deleted ?? 0) + toRemove.length;
    let keys: KeyList;
    if (!old || !this.ann || deleted > COMPACT_RATIO * Math.max(current.length, 1)) {
      keys = await this.build(current, onProgress, signal);
      result.rebuilt = true;
      result.added = keys.length;
      this.sidecar = null;
    } else {
      const ann = this.ann;
      result.removed = ann.remove(toRemove);
      const missing = await this.addFromStore(ann, toAdd, current, deleted, (done) => onProgress?.({ phase: 'update', done, total: toAdd.length }), signal);
      result.added = toAdd.length - missing.size;
      keys = missing.size === 0 ? current : keysSoFar(current, [], 0, missing);
    }
    this.keys = keys;
    if (this.ann) {
      this.sidecar = this.describe(generation, result.rebuilt ? 0 : deleted);
      await this.save();
    }
    result.seconds = (performance.now() - started) / 1000;
    return result;
  }

  private async save(): Promise<void> {
    if (!this.ann || !this.keys || !this.sidecar) return;
    const f = this.files;
    const tmp = `${f.graph}.${process.pid}.tmp`;
    this.ann.save(tmp);
    await fs.rename(tmp, f.graph);
    const k = this.keys.view();
    await writeAtomic(f.keys, new Uint8Array(k.buffer, k.byteOffset, k.byteLength));
    await writeAtomic(f.meta, JSON.stringify(this.sidecar));
  }

  /** Nearest ids by the graph's (approximate) scores; call `sync` first. */
  search(query: Float32Array, count: number): AnnMatch[] {
    return this.ann ? this.ann.search(query, count) : [];
  }

  /** Delete the files (e.g. the collection was cleared). */
  async drop(): Promise<void> {
    this.ann = null;
    this.keys = null;
    this.sidecar = null;
    const f = this.files;
    await Promise.all([f.graph, f.keys, f.meta].map((p) => fs.rm(p, { force: true })));
  }
}
