/**
 * Approximate search at scale: recall@10 against exact search, p50/p95 query latency,
 * build time, memory and bytes per image, per storage type of the HNSW graph.
 *
 * Vectors: perturbed copies of real codes. A few hundred real MobileNetV2 (TF) codes are
 * extracted once from the shared ImageNet sample (cached in $TMPDIR/simili-bench-ann), PCA-
 * whitened to BENCH_ANN_DIM (default 256) dimensions as the whitening recipes do, and each
 * synthetic vector is a random blend of two real codes plus per-dimension Gaussian noise
 * scaled to the real codes' spread, renormalised. Without the model (or datasets) a
 * documented fallback is used: clustered non-negative vectors (see `fallbackBase`).
 * Queries are fresh draws from the same distribution (never indexed vectors).
 *
 * Environment (defaults in brackets):
 *   BENCH_ANN_SIZES   [100000,1000000]   stored vectors per run
 *   BENCH_ANN_QUANT   [f32,f16,i8,b1]    graph storage types; a size above BENCH_ANN_ALL_QUANT_MAX
 *                                        [200000] runs only the default (i8) unless listed explicitly
 *   BENCH_ANN_DIM     [256]              code dimension (1280 = the default recipe's codes, centred MobileNetV2)
 *   BENCH_ANN_QUERIES [200]
 *   BENCH_ANN_EF      [128,<default>,512] search-time candidate lists measured on each built graph
 *   BENCH_ANN_CANDIDATES [as search]     graph results re-scored with the f32 codes (search: 100, b1 1000)
 *   BENCH_ANN_REAL    [300]              real images to extract codes from
 *   BENCH_ANN_CACHE   [$TMPDIR/simili-bench-ann] base codes, vectors and build checkpoints
 *   BENCH_ANN_CHECKPOINT_S [900]         build seconds between checkpoints (graphs of 1M and more, or any when set)
 *   BENCH_ANN_BUILD_THREADS [1]          threads inserting; simili builds on 1 (see AnnIndex.add), the
 *                                        rows of 10M built before that change used 2
 *
 * A 10M graph takes hours to build on 2 cores. Builds of 1M vectors and more save the graph
 * every BENCH_ANN_CHECKPOINT_S seconds into BENCH_ANN_CACHE; the same command run again (after a
 * kill or a reboot, with a cache that survived) loads the checkpoint and adds only the rest.
 * The vectors are drawn again from the same seed, so they are the same vectors.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import usearch, { type BatchMatches } from 'usearch';
import { decodeImage } from '../src/decode/decode.js';
import { createEncoder } from '../src/encode/create.js';
import { applyTransform, codeFunction, fitTransform } from '../src/encode/postprocess.js';
import { DEFAULT_PRESET, presetRecipe } from '../src/encode/recipe.js';
import { AnnIndex, annSettings, DEFAULT_ANN_SETTINGS, meanRow, type AnnQuantisation } from '../src/search/ann.js';
import { candidateCount } from '../src/search/rescore.js';
import { dot } from '../src/search/exact.js';
import { DATASETS_DIR } from '../test/helpers/paths.js';
import { percentile } from './stats.js';
import type { BenchSection } from './types.js';

// Point it at a disk that outlives the machine for a 10M build: the build checkpoints there.
const CACHE = process.env.BENCH_ANN_CACHE ?? path.join(os.tmpdir(), 'simili-bench-ann');

/** Floats per slice of vectors in memory (1 GiB): a Uint8Array over more than 4 GiB cannot be made. */
const SLICE_FLOATS = 2 ** 28;

function envList(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
}

/** Deterministic uniform + Gaussian draws. */
function makeRandom(seed: number): { uniform: () => number; gauss: () => number } {
  let s = seed >>> 0 || 1;
  const uniform = (): number => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  const gauss = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, gauss };
}

interface Base {
  data: Float32Array;
  n: number;
  dim: number;
  source: string;
  /**
   * How the noise added to blends is drawn, matched to the base's covariance either way:
   * `diagonal` per dimension (the covariance of whitened codes is diagonal), `covariance` as
   * a Gaussian combination of the base codes' deviations (centred codes vary along few
   * correlated directions; independent noise per dimension would invent variation there).
   */
  noise: 'diagonal' | 'covariance';
}

/** Real MobileNetV2 codes of `count` images, extracted once and cached. */
async function realRawCodes(count: number): Promise<Base | null> {
  mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `mobilenetv2-tf-${count}.f32`);
  if (existsSync(file)) {
    const buf = readFileSync(file);
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
    return { data, n: data.length / 1280, dim: 1280, source: `${data.length / 1280} real MobileNetV2 codes (cached ${file})`, noise: 'covariance' };
  }
  const root = path.join(DATASETS_DIR, 'imagenet-100x10', 'images');
  if (!existsSync(root)) return null;
  const images: string[] = [];
  const classes = readdirSync(root).sort();
  for (let round = 0; images.length < count && round < 10; round++) {
    for (const c of classes) {
      const files = readdirSync(path.join(root, c)).sort();
      if (files[round]) images.push(path.join(root, c, files[round]!));
      if (images.length >= count) break;
    }
  }
  let encoder;
  try {
    ({ encoder } = await createEncoder(presetRecipe('fast'), { fallback: false, allowDownload: false }));
  } catch {
    return null;
  }
  const codes: Float32Array[] = [];
  for (let i = 0; i < images.length; i += 16) {
    const decoded = await Promise.all(images.slice(i, i + 16).map(async (f) => decodeImage(readFileSync(f), { maxSide: encoder.maxSide })));
    codes.push(...(await encoder.encodeBatch(decoded)));
  }
  await encoder.close();
  const data = new Float32Array(codes.length * encoder.dim);
  codes.forEach((c, i) => data.set(c, i * encoder.dim));
  writeFileSync(file, new Uint8Array(data.buffer));
  return { data, n: codes.length, dim: encoder.dim, source: `${codes.length} real MobileNetV2 codes of imagenet-100x10 images`, noise: 'covariance' };
}

/** Without models: 300 clustered non-negative unit vectors (10 clusters, cubed-uniform centres), like ReLU features. */
function fallbackBase(dim: number): Base {
  const r = makeRandom(99);
  const centres = Array.from({ length: 10 }, () => Float32Array.from({ length: dim }, () => r.uniform() ** 3));
  const n = 300;
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = Math.max(0, centres[i % 10]![j]! + 0.15 * r.gauss());
      data[i * dim + j] = v;
      norm += v * v;
    }
    for (let j = 0; j < dim; j++) data[i * dim + j]! /= Math.sqrt(norm);
  }
  return { data, n, dim, source: 'FALLBACK synthetic base (models/datasets missing): 300 clustered non-negative vectors', noise: 'diagonal' };
}

/** The base codes in the benchmark's space: PCA-whitened to `dim` as the whitening recipes do. */
async function baseCodes(dim: number, realCount: number): Promise<Base> {
  const raw = await realRawCodes(realCount);
  if (!raw) return fallbackBase(dim);
  if (dim === raw.dim) {
    // Full width: the default recipe's own codes (centred on the collection's mean, L2-normalised).
    const post = { ...presetRecipe(DEFAULT_PRESET).post, dba: null };
    const toCode = codeFunction(post, fitTransform(raw.data, raw.n, raw.dim, post));
    const data = new Float32Array(raw.n * dim);
    for (let i = 0; i < raw.n; i++) data.set(toCode(raw.data.subarray(i * dim, (i + 1) * dim)), i * dim);
    return { data, n: raw.n, dim, source: `${raw.source}, post-processed as the default recipe (${DEFAULT_PRESET}: centred, ${dim}-d)`, noise: 'covariance' };
  }
  const t = fitTransform(raw.data, raw.n, raw.dim, { power: 1, whiten: { dim } });
  if (!t || t.outDim !== dim) throw new Error(`cannot project ${raw.n} codes to ${dim} dimensions`);
  const data = new Float32Array(raw.n * dim);
  for (let i = 0; i < raw.n; i++) data.set(applyTransform(t, raw.data.subarray(i * raw.dim, (i + 1) * raw.dim)), i * dim);
  return { data, n: raw.n, dim, source: `${raw.source}, PCA-whitened to ${dim} dimensions`, noise: 'diagonal' };
}

/**
 * n synthetic codes (blend of two base codes + noise with 0.35 x the base's spread, drawn as
 * `base.noise` says, renormalised), produced `chunk` rows at a time from one random stream:
 * the rows do not depend on the chunk size, so a run at 10M draws the same first 1M rows as before.
 */
function* synthesise(base: Base, n: number, seed: number, chunk = Math.floor(SLICE_FLOATS / base.dim)): Generator<Float32Array> {
  const { dim } = base;
  const mean = meanRow(base.data, base.n, dim);
  const spread = new Float32Array(dim);
  for (let i = 0; i < base.n; i++) for (let j = 0; j < dim; j++) spread[j]! += (base.data[i * dim + j]! - mean[j]!) ** 2;
  for (let j = 0; j < dim; j++) spread[j] = Math.sqrt(spread[j]! / base.n);
  // Sum of g_i * dev_i over the base rows, g_i ~ N(0, 1): Gaussian with 0.35^2 x the base's covariance.
  const dev = new Float32Array(base.noise === 'covariance' ? base.n * dim : 0);
  for (let i = 0; i < dev.length / dim; i++) for (let j = 0; j < dim; j++) dev[i * dim + j] = (0.35 / Math.sqrt(base.n)) * (base.data[i * dim + j]! - mean[j]!);
  // Doubles until the one rounding to float32 at the end, as the diagonal rows always were.
  const row = new Float64Array(dim);
  const r = makeRandom(seed);
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    const out = new Float32Array(rows * dim);
    for (let i = 0; i < rows; i++) {
      const a = Math.floor(r.uniform() * base.n) * dim;
      const b = Math.floor(r.uniform() * base.n) * dim;
      const w = 0.6 + 0.4 * r.uniform();
      for (let j = 0; j < dim; j++) row[j] = w * base.data[a + j]! + (1 - w) * base.data[b + j]!;
      if (base.noise === 'diagonal') for (let j = 0; j < dim; j++) row[j]! += 0.35 * spread[j]! * r.gauss();
      else {
        for (let k = 0; k < base.n; k++) {
          const g = r.gauss();
          const off = k * dim;
          for (let j = 0; j < dim; j++) row[j]! += g * dev[off + j]!;
        }
      }
      let norm = 0;
      for (let j = 0; j < dim; j++) {
        out[i * dim + j] = row[j]!;
        norm += row[j]! * row[j]!;
      }
      const inv = 1 / Math.sqrt(norm);
      for (let j = 0; j < dim; j++) out[i * dim + j]! *= inv;
    }
    yield out;
  }
}

/**
 * The stored vectors, on disk: at 10M x 256 they are 10 GB, which cannot sit in memory
 * beside an f32 or f16 graph of the same vectors on a 24 GiB machine. Rows are read in
 * slices for building and exact search, and one by one for re-scoring.
 */
class CodeFile {
  private constructor(readonly file: string, readonly n: number, readonly dim: number, private readonly fd: number) {}

  static write(file: string, chunks: Iterable<Float32Array>, n: number, dim: number): CodeFile {
    const fd = openSync(file, 'w+');
    for (const c of chunks) {
      const bytes = new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
      // One call moves at most ~2 GiB: loop.
      for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
    }
    return new CodeFile(file, n, dim, fd);
  }

  /** Rows [start, end) as a fresh array (byteOffset 0, as usearch wants). */
  rows(start: number, end: number): Float32Array {
    const out = new Float32Array((end - start) * this.dim);
    const bytes = new Uint8Array(out.buffer);
    for (let done = 0; done < bytes.length;) {
      const got = readSync(this.fd, bytes, done, bytes.length - done, start * this.dim * 4 + done);
      if (got === 0) throw new Error(`${this.file} ends before row ${end}`);
      done += got;
    }
    return out;
  }

  /** The rows of 1-based ids, packed in the given order. */
  gather(ids: readonly number[]): Float32Array {
    const out = new Float32Array(ids.length * this.dim);
    const row = this.dim * 4;
    ids.forEach((id, i) => readSync(this.fd, new Uint8Array(out.buffer, i * row, row), 0, row, (id - 1) * row));
    return out;
  }

  /** The mean of the first `count` rows. */
  meanOfFirst(count: number): Float32Array {
    const m = Math.min(this.n, count);
    return meanRow(this.rows(0, m), m, this.dim);
  }

  remove(): void {
    closeSync(this.fd);
    rmSync(this.file, { force: true });
  }
}

const SECTION = 'ANN (HNSW, usearch) vs exact';

/** Rows of the last results.json that this run did not measure again (same vectors, storage, ef, re-scored). */
function earlierRows(fresh: Array<Record<string, string | number>>): Array<Record<string, string | number>> {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results.json');
  if (!existsSync(file)) return [];
  const sections = (JSON.parse(readFileSync(file, 'utf8')) as { results?: { ann?: BenchSection[] } }).results?.ann ?? [];
  const key = (r: Record<string, string | number>): string => [r.vectors, r.dim, r.storage, r['ef search'], r['re-scored']].join('/');
  const seen = new Set(fresh.map(key));
  // Rows from before the column existed were built on both cores (usearch's concurrent insertion).
  return sections.filter((s) => s.name === SECTION).flatMap((s) => s.rows).filter((r) => !seen.has(key(r)))
    .map((r) => Object.fromEntries(Object.entries(r).flatMap(([k, v]): Array<[string, string | number]> =>
      k === 'build threads' ? [] : k === 'build s' ? [[k, v], ['build threads', r['build threads'] ?? 2]] : [[k, v]])));
}

/** Table order: size, then storage from widest to narrowest, then search settings. */
function byShape(a: Record<string, string | number>, b: Record<string, string | number>): number {
  const storage = (r: Record<string, string | number>): number => ['f32', 'f16', 'i8', 'b1'].indexOf(String(r.storage));
  return Number(a.vectors) - Number(b.vectors) || Number(a.dim) - Number(b.dim) || storage(a) - storage(b) || Number(a['ef search']) - Number(b['ef search']) || Number(a['re-scored']) - Number(b['re-scored']);
}

interface BuildState {
  added: number;
  buildS: number;
  /** The graph file holding the first `added` vectors. */
  graph: string;
  /** Digest of the first vectors: a checkpoint of other vectors (another base) is not resumed. */
  vectors: string;
  /** RSS growth of the build segment that finished it. */
  rssMiB?: number;
}

/**
 * A graph being built, saved part way: `<base>-<added>.usearch` and `<base>.json` naming it.
 * The JSON is replaced by a rename only once the new graph is whole, and the old graph is
 * removed after: a kill at any moment leaves a readable checkpoint. The finished graph is
 * the last checkpoint, kept until it has been measured: a kill while measuring loses no build.
 */
class BuildCheckpoint {
  private readonly state: string;

  constructor(private readonly base: string, private readonly vectors: string) {
    this.state = `${base}.json`;
  }

  read(): BuildState | null {
    if (!existsSync(this.state)) return null;
    const state = JSON.parse(readFileSync(this.state, 'utf8')) as BuildState;
    return existsSync(state.graph) && state.vectors === this.vectors ? state : null;
  }

  /** Save the graph; returns its file. */
  write(ann: AnnIndex, added: number, buildS: number, rssMiB?: number): string {
    const before = this.read();
    const graph = `${this.base}-${added}.usearch`;
    ann.save(graph);
    const state: BuildState = { added, buildS, graph, vectors: this.vectors, ...(rssMiB !== undefined ? { rssMiB } : {}) };
    writeFileSync(`${this.state}.tmp`, JSON.stringify(state));
    renameSync(`${this.state}.tmp`, this.state);
    if (before && before.graph !== graph) rmSync(before.graph, { force: true });
    return graph;
  }

  remove(): void {
    const state = this.read();
    if (state) rmSync(state.graph, { force: true });
    rmSync(this.state, { force: true });
  }
}

function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

interface Truth {
  ids: number[][];
}

/** Exact top 10 per query, scanned in 1 GiB slices: no typed array or native call sees more than 4 GiB. */
function exactTruth(codes: CodeFile, queries: Float32Array, q: number): Truth {
  const { n, dim } = codes;
  const best: Array<Array<{ id: number; d: number }>> = Array.from({ length: q }, () => []);
  const slice = Math.floor(SLICE_FLOATS / dim);
  for (let start = 0; start < n; start += slice) {
    const end = Math.min(n, start + slice);
    const res = usearch.exactSearch(codes.rows(start, end), queries, dim, 10, usearch.MetricKind.IP, 0);
    for (let i = 0; i < q; i++) {
      const m = q === 1 ? res : (res as BatchMatches).get(i);
      for (let j = 0; j < m.keys.length; j++) best[i]!.push({ id: start + Number(m.keys[j]!) + 1, d: m.distances[j]! });
      best[i]!.sort((x, y) => x.d - y.d);
      best[i]!.length = Math.min(10, best[i]!.length);
    }
  }
  return { ids: best.map((b) => b.map((x) => x.id)) };
}

async function measure(quantisation: AnnQuantisation, codes: CodeFile, queries: Float32Array, q: number, truth: Truth, efs: number[], candidates: number[]): Promise<Array<Record<string, string | number>>> {
  const { n, dim } = codes;
  // Graph shape can be tried without touching the defaults (BENCH_ANN_CONNECTIVITY, BENCH_ANN_EXPANSION_ADD).
  const settings = annSettings({
    quantisation,
    ...(process.env.BENCH_ANN_CONNECTIVITY ? { connectivity: Number(process.env.BENCH_ANN_CONNECTIVITY) } : {}),
    ...(process.env.BENCH_ANN_EXPANSION_ADD ? { expansionAdd: Number(process.env.BENCH_ANN_EXPANSION_ADD) } : {}),
  });
  const centre = quantisation === 'b1' ? codes.meanOfFirst(10_000) : null;
  const threads = Number(process.env.BENCH_ANN_BUILD_THREADS ?? 1);
  // The exact search's slices are garbage by now: collect them, or the graph's growth is hidden.
  globalThis.gc?.();
  const rssBefore = rssMiB();
  const fingerprint = createHash('sha256').update(codes.rows(0, Math.min(n, 1000))).digest('hex').slice(0, 16);
  const checkpoint = new BuildCheckpoint(path.join(CACHE, `build-${quantisation}-${n}x${dim}-m${settings.connectivity}-ef${settings.expansionAdd}`), fingerprint);
  const checkpoints = n >= 1_000_000 || process.env.BENCH_ANN_CHECKPOINT_S !== undefined;
  const resumed = checkpoints ? checkpoint.read() : null;
  let file: string;
  let buildS: number;
  let buildRss: number;
  if (resumed && resumed.added === n) {
    process.stderr.write(`  ${quantisation}: the graph was built by an earlier run (${resumed.buildS.toFixed(0)} s), measuring it\n`);
    ({ graph: file, buildS } = resumed);
    buildRss = resumed.rssMiB ?? NaN;
  } else {
    let ann: AnnIndex | null = resumed
      ? AnnIndex.open(resumed.graph, dim, settings, { view: false, centre })
      : new AnnIndex(dim, settings, { centre });
    if (resumed) process.stderr.write(`  ${quantisation}: resuming a checkpoint at ${resumed.added}/${n} (${resumed.buildS.toFixed(0)} s built)\n`);
    const earlierS = resumed?.buildS ?? 0;
    const t0 = performance.now();
    const everyS = Number(process.env.BENCH_ANN_CHECKPOINT_S ?? 900);
    let savedAt = t0;
    let pausedMs = 0;
    const chunk = 50_000;
    for (let start = resumed?.added ?? 0; start < n; start += chunk) {
      const end = Math.min(n, start + chunk);
      ann.add(Int32Array.from({ length: end - start }, (_, i) => start + i + 1), codes.rows(start, end), threads);
      const builtS = earlierS + (performance.now() - t0 - pausedMs) / 1000;
      if (n >= 500_000) process.stderr.write(`  ${quantisation} ${end}/${n} (${builtS.toFixed(0)} s)\n`);
      if (checkpoints && end < n && performance.now() - savedAt >= everyS * 1000) {
        // Saving is not building: its time stays out of the build time.
        const pause = performance.now();
        checkpoint.write(ann, end, builtS);
        savedAt = performance.now();
        pausedMs += savedAt - pause;
      }
    }
    buildS = earlierS + (performance.now() - t0 - pausedMs) / 1000;
    buildRss = rssMiB() - rssBefore;
    file = checkpoint.write(ann, n, buildS, buildRss);
    ann = null;
    // The graph in memory is freed only when its wrapper is collected; do it before the view maps the file.
    globalThis.gc?.();
  }
  const bytes = statSync(file).size;

  const rows: Array<Record<string, string | number>> = [];
  // The search-time candidate list is not stored in the file: one build, measured at several.
  for (const ef of efs) for (const want of candidates) {
    if (want > ef) continue;
    const view = AnnIndex.open(file, dim, { ...settings, expansionSearch: ef }, { view: true, centre });
    const times: number[] = [];
    let hits = 0;
    let rawHits = 0;
    for (let i = 0; i < q; i++) {
      const query = queries.subarray(i * dim, (i + 1) * dim);
      let t = performance.now();
      const cand = view.search(query, want, 1);
      let elapsed = performance.now() - t;
      // Reading the candidates' rows from the bench's file is not timed: Collection.search
      // re-scores from codes already in memory.
      const rows = codes.gather(cand.map((m) => m.id));
      t = performance.now();
      // Re-score with the full float codes, as Collection.search does.
      const rescored = cand.map((m, j) => ({ id: m.id, s: dot(rows, j * dim, query, dim) })).sort((x, y) => y.s - x.s).slice(0, 10);
      elapsed += performance.now() - t;
      times.push(elapsed);
      const want10 = new Set(truth.ids[i]);
      hits += rescored.filter((x) => want10.has(x.id)).length;
      rawHits += cand.slice(0, 10).filter((m) => want10.has(m.id)).length;
    }
    times.sort((x, y) => x - y);
    rows.push({
      vectors: n,
      dim,
      storage: quantisation,
      'ef search': ef,
      're-scored': want,
      'recall@10': Number((hits / (q * 10)).toFixed(3)),
      'recall@10 graph only': Number((rawHits / (q * 10)).toFixed(3)),
      'p50 ms': Number(percentile(times, 0.5).toFixed(2)),
      'p95 ms': Number(percentile(times, 0.95).toFixed(2)),
      'build s': Number(buildS.toFixed(1)),
      'build threads': threads,
      'build RSS +MiB': Math.round(buildRss),
      'index bytes/image': Math.round(bytes / n),
      measured: new Date().toISOString().slice(0, 10),
    });
    process.stderr.write(`ann: ${JSON.stringify(rows.at(-1))}\n`);
  }
  checkpoint.remove();
  return rows;
}

export default async function bench(): Promise<BenchSection[]> {
  const sizes = envList('BENCH_ANN_SIZES', '100000,1000000').map(Number);
  const explicitQuant = process.env.BENCH_ANN_QUANT !== undefined;
  const quants = envList('BENCH_ANN_QUANT', 'f32,f16,i8,b1') as AnnQuantisation[];
  const allQuantMax = Number(process.env.BENCH_ANN_ALL_QUANT_MAX ?? 200_000);
  const dim = Number(process.env.BENCH_ANN_DIM ?? 256);
  const q = Number(process.env.BENCH_ANN_QUERIES ?? 200);
  const efs = envList('BENCH_ANN_EF', `128,512,${DEFAULT_ANN_SETTINGS.expansionSearch}`).map(Number);
  // Unset: what Collection.search re-scores for k = 10 with each storage type.
  const candidates = process.env.BENCH_ANN_CANDIDATES === undefined ? null : envList('BENCH_ANN_CANDIDATES', '').map(Number);
  const base = await baseCodes(dim, Number(process.env.BENCH_ANN_REAL ?? 300));
  const queries = synthesise(base, q, 7).next().value as Float32Array;
  const rows: Array<Record<string, string | number>> = [];
  for (const n of sizes) {
    const t0 = performance.now();
    const codes = CodeFile.write(path.join(CACHE, `codes-${n}x${dim}.f32`), synthesise(base, n, 1000 + n), n, dim);
    const truth = exactTruth(codes, queries, q);
    process.stderr.write(`ann: ${n} x ${dim} vectors generated, exact top 10 in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const these = explicitQuant || n <= allQuantMax ? quants : [DEFAULT_ANN_SETTINGS.quantisation];
    try {
      for (const quantisation of these) rows.push(...(await measure(quantisation, codes, queries, q, truth, efs, candidates ?? [candidateCount(10, 0, quantisation)])));
    } finally {
      codes.remove();
    }
  }
  const s = annSettings({
    ...(process.env.BENCH_ANN_CONNECTIVITY ? { connectivity: Number(process.env.BENCH_ANN_CONNECTIVITY) } : {}),
    ...(process.env.BENCH_ANN_EXPANSION_ADD ? { expansionAdd: Number(process.env.BENCH_ANN_EXPANSION_ADD) } : {}),
  });
  return [{
    name: SECTION,
    rows: [...rows, ...earlierRows(rows)].sort(byShape),
    notes: [
      `vectors: synthetic = blend of two base codes + Gaussian noise with 0.35^2 x their covariance, L2-normalised; base codes: real MobileNetV2 codes, PCA-whitened for dim 256 (diagonal covariance: noise per dimension), post-processed as the default recipe (centred) for dim 1280 (noise a random combination of their deviations) (this run: ${base.source})`,
      `graph: connectivity ${s.connectivity}, expansion add ${s.expansionAdd}, default search ${s.expansionSearch} (column ef search); the graph's best 're-scored' candidates re-scored with the f32 codes (Collection.search, k = 10: ${candidateCount(10)}, ${candidateCount(10, 0, 'b1')} for b1)`,
      `${q} queries, one at a time on one thread; build on the threads the column says: simili inserts on one (usearch's concurrent insertion strands nodes, USearch#735); machine shared with other jobs, so times are upper bounds`,
      'a build resumed from a checkpoint (BENCH_ANN_CACHE) reports the sum of its segments\' build times; build RSS then counts the loaded checkpoint',
      'index bytes/image = saved graph file / vectors (the f32 codes used for re-scoring live in the catalogue, 4 x dim bytes/image more)',
      'b1: sign bits of (code - mean code), Hamming distance',
      `rows this run did not measure are kept from bench/results.json (column measured): a 10M build takes hours`,
    ],
  }];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sections = await bench();
  for (const s of sections) {
    process.stdout.write(`## ${s.name}\n`);
    for (const r of s.rows) process.stdout.write(JSON.stringify(r) + '\n');
    for (const n of s.notes ?? []) process.stdout.write(`  ${n}\n`);
  }
}
