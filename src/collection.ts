/**
 * The one library API. The CLI and the HTTP server are thin shells over `Collection`.
 *
 *   const c = await Collection.open('./.simili', { create: true });
 *   await c.index('./photos');
 *   const { hits } = await c.search({ path: 'query.jpg' }, { k: 10 });
 */
import { promises as fs, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { decodeImage, DEFAULT_MAX_PIXELS } from './decode/decode.js';
import { fetchImage } from './decode/fetch-image.js';
import { createEncoder, type EncoderOptions } from './encode/create.js';
import type { Encoder } from './encode/encoder.js';
import { codeFunction, deserializeTransform, fitTransform, MAX_FIT_VECTORS, needsFit, serializeTransform, type LearnedTransform } from './encode/postprocess.js';
import { DEFAULT_PRESET, presetRecipe, recipeEncoderId, type Recipe } from './encode/recipe.js';
import { SimiliError } from './errors.js';
import { runPipeline, type PipelineProgress, type PipelineResult } from './indexing/pipeline.js';
import { SIDE_DATA_PRODUCERS, type CollectionSettings } from './indexing/side-data.js';
import { isUrl, resolveCataloguePath, scanFolder, toCataloguePath } from './indexing/scan.js';
import { binaryScored, type CodeSpace } from './binary/collection-search.js';
import { findDuplicateGroups, type DuplicateGroup } from './search/duplicates.js';
import { computeDba, DBA_BLOB, DBA_MAX_IMAGES, DBA_REFRESH_FRACTION, deserializeMatrix, overlayDba, serializeMatrix, storedMatrixRows } from './search/dba.js';
import { dot, exactTopK } from './search/exact.js';
import { TopK } from './search/topk.js';
import { weightedExpansion } from './search/expansion.js';
import { AnnSearcher, annConfig, type AnnIdentity, type SearchStatus } from './search/ann-searcher.js';
import type { AnnSyncProgress, AnnSyncResult } from './search/ann-sync.js';
import { indexedPages, spreadIndexedIds, type CatalogueStore, type CodeMatrix, type FailedImage, type FileFacts, type ImageLabel, type ImageRecord } from './store/catalogue.js';
import { SqliteCatalogue } from './store/sqlite.js';
import { openStore } from './store/open.js';
import { integerInRange, numberInRange } from './validate.js';
import { rerankHits } from './rerank/collection-rerank.js';
import { validateRerankOptions, type RerankOptions } from './rerank/rerankers.js';
import './categories/producers.js';
import type { GateInfo } from './categories/gate.js';
import { categoryGate, predictQuery, wantsGate, type CategoryOptions } from './categories/search-gate.js';
import { syncLabels } from './categories/sync.js';
import { addItems, removeItems, type AddOptions, type AddSummary } from './live/add.js';
import { thumbnailOf } from './live/thumbnail.js';
import { watchFolder, type FolderWatcher, type WatchOptions } from './live/watch.js';

export const CATALOGUE_FILE = 'catalogue.sqlite';
/** Cosine similarity from which a query counts as a copy of a collection image (re-encoded JPEGs reach ~0.99). */
export const TWIN_SCORE = 0.98;
/** How many of the nearest images are checked for being the query's twin. */
const TWIN_CANDIDATES = 5;
/** Images whose codes one step of a streamed exact scan reads (5 MB of 1280-d codes). */
const STREAM_PAGE = 1000;
export const DEFAULT_COLLECTION_DIR = '.simili';

function codeMismatch(dir: string, queryDim: number, dim: number): SimiliError {
  return new SimiliError('ENCODER_MISMATCH', `Query code has ${queryDim} dimensions but collection ${dir} has ${dim}: it was encoded with another encoder`);
}

export interface OpenOptions {
  /** Create the collection if it does not exist (default false: a missing collection is an error). */
  create?: boolean;
  /** Model lookup and download, warnings. */
  encoder?: EncoderOptions;
  /** An already-open store, or where to open one (`postgres://...` URL, SQLite file); default: the SQLite file in the collection folder. */
  store?: CatalogueStore | string;
}

export interface IndexOptions {
  /** Recipe for a new collection (default: the default preset). Must match an existing collection's. */
  recipe?: Recipe;
  /** Forget every vector and re-encode everything (required to change the recipe). */
  reindex?: boolean;
  batchSize?: number;
  maxPixels?: number;
  signal?: AbortSignal;
  onProgress?: (p: PipelineProgress) => void;
  /** The approximate index being built or brought up to date after encoding (collections above the ANN threshold). */
  onGraphProgress?: (p: AnnSyncProgress) => void;
  /** Catalogue paths left for a later run (a watcher's files still being written). */
  defer?: ReadonlySet<string>;
  /** Scan found this many files; lets a progress bar start before encoding does. */
  onPlan?: (plan: { total: number; toProcess: number; unchanged: number; removed: number }) => void;
  /**
   * Encode the files somewhere else instead of in this process (e.g. jobs on a queue that
   * workers run with `indexFiles`); resolves once they are all in the catalogue.
   */
  dispatch?: (files: readonly FileFacts[], context: { root: string; encoderId: string }) => Promise<PipelineResult>;
}

export interface IndexSummary {
  root: string;
  scanned: number;
  unchanged: number;
  indexed: number;
  deduplicated: number;
  removed: number;
  failed: FailedImage[];
  aborted: boolean;
  seconds: number;
  encoderId: string;
}

/** What to search with. */
export type QueryInput =
  | { path: string }
  | { url: string }
  | { buffer: Buffer; name?: string }
  | { id: number };

export interface SearchOptions extends CategoryOptions {
  /** Also store the query image in the collection (after searching, so it cannot find itself). */
  addQuery?: boolean;
  k?: number;
  /** Drop hits whose codes' cosine similarity with the query's is below this. */
  threshold?: number;
  /** Images never returned (by id). A query by id always excludes itself. */
  excludeIds?: readonly number[];
  /** Scan only these images (by id): category gates, filters. */
  candidateIds?: readonly number[];
  /** true: always scan every code; false: always use the ANN index; default: ANN above `settings.ann.threshold` images. */
  exact?: boolean;
  /**
   * Which codes to search: the recipe's float codes (default), the CNN-ITQ bits (`simili train itq`)
   * or the denoising autoencoder's bits (`simili train autoencoder`).
   */
  encoder?: CodeSpace;
  /** Second stage: re-order the top `topN` (default 100) by SSIM, SSIM/distance or the learned model; hit scores are then the re-ranker's. */
  rerank?: RerankOptions;
}

export interface SearchHit {
  rank: number;
  id: number;
  /** Catalogue path: relative to the root, absolute, or a URL. */
  path: string;
  /** Where to open it: an absolute file path, or the URL. */
  location: string;
  /** What the list is ordered by: cosine in the space the recipe ranks in (see `similarity`), or the re-ranker's score. */
  score: number;
  /**
   * Cosine similarity of this image's code and the query's; thresholds apply to it. The
   * ranking space can differ from the codes (DBA pulls each image towards its neighbours,
   * query expansion blends the query with its own): it ranks better, but would score a whole
   * cluster 0.9999. Set by `Collection.search`.
   */
  similarity?: number;
}

export interface SearchResult {
  query: { kind: 'path' | 'url' | 'buffer' | 'id'; label: string; id?: number };
  hits: SearchHit[];
  /** Images scanned. */
  scanned: number;
  /** Present when the search was gated by categories (--by-category, --category). */
  gate?: GateInfo;
  /** The query image as stored by `addQuery`. */
  added?: AddSummary;
  timings: { encodeMs: number; searchMs: number; rerankMs?: number };
}

export interface CollectionInfo {
  dir: string;
  root: string | null;
  recipe: Recipe | null;
  encoderId: string | null;
  dim: number | null;
  images: number;
  indexed: number;
  failed: number;
  /** How searches are answered (scan or approximate index); null before anything is indexed. */
  search: SearchStatus | null;
}

const META = { recipe: 'recipe', encoderId: 'encoder_id', root: 'root', transform: 'transform', settings: 'settings' } as const;

export class Collection {
  readonly dir: string;
  readonly store: CatalogueStore;
  private readonly encoderOptions: EncoderOptions;
  private encoderPromise: Promise<Encoder> | null = null;
  private matrixCache: { generation: number; matrix: CodeMatrix; plain: CodeMatrix; rowOf: Map<number, number> } | null = null;
  private transformCache: { generation: number; transform: LearnedTransform | null } | null = null;
  private countCache: { generation: number; indexed: number } | null = null;
  private annSearcher: AnnSearcher | null = null;

  private constructor(dir: string, store: CatalogueStore, encoderOptions: EncoderOptions) {
    this.dir = dir;
    this.store = store;
    this.encoderOptions = encoderOptions;
  }

  static async open(dir: string, options: OpenOptions = {}): Promise<Collection> {
    const abs = path.resolve(dir);
    if (typeof options.store === 'string') return new Collection(abs, await openStore(options.store), options.encoder ?? {});
    if (options.store) return new Collection(abs, options.store, options.encoder ?? {});
    const file = path.join(abs, CATALOGUE_FILE);
    if (!existsSync(file)) {
      if (!options.create) {
        throw new SimiliError('COLLECTION_MISSING', `No collection at ${abs}: run \`simili index <folder>\` first, or pass --collection`);
      }
      mkdirSync(abs, { recursive: true });
    }
    return new Collection(abs, new SqliteCatalogue(file), options.encoder ?? {});
  }

  /** The nearest `.simili` folder from `start` upwards, like git finds `.git`. */
  static find(start: string = process.cwd()): string | null {
    let dir = path.resolve(start);
    for (;;) {
      if (existsSync(path.join(dir, DEFAULT_COLLECTION_DIR, CATALOGUE_FILE))) return path.join(dir, DEFAULT_COLLECTION_DIR);
      const parent = path.dirname(dir);
      if (parent === dir) return null;
      dir = parent;
    }
  }

  async recipe(): Promise<Recipe | null> {
    const json = await this.store.getMeta(META.recipe);
    return json ? (JSON.parse(json) as Recipe) : null;
  }

  /** Per-collection feature switches (labels, ...), kept in the catalogue. */
  async settings(): Promise<CollectionSettings> {
    const json = await this.store.getMeta(META.settings);
    return json ? (JSON.parse(json) as CollectionSettings) : {};
  }

  async updateSettings(patch: CollectionSettings): Promise<CollectionSettings> {
    const next = { ...(await this.settings()), ...patch };
    await this.store.setMeta(META.settings, JSON.stringify(next));
    // Settings do not bump the catalogue generation: drop what the ANN searcher cached from them.
    this.annSearcher = null;
    return next;
  }

  async root(): Promise<string | null> {
    return (await this.store.getMeta(META.root)) ?? null;
  }

  async info(): Promise<CollectionInfo> {
    const recipe = await this.recipe();
    // One stored code tells the dimension; loading them all would cost seconds at 1M images.
    const [first] = await this.store.listImages({ status: 'indexed', limit: 1 });
    const code = first ? await this.store.getCode(first.id) : undefined;
    const indexed = await this.store.countImages('indexed');
    return {
      dir: this.dir,
      root: await this.root(),
      recipe,
      encoderId: (await this.store.getMeta(META.encoderId)) ?? null,
      dim: code?.length ?? null,
      images: await this.store.countImages(),
      indexed,
      failed: await this.store.countImages('failed'),
      search: await this.ann().status(indexed),
    };
  }

  /** The encoder this collection's recipe calls for (created once, shared by index and search). */
  async encoder(): Promise<Encoder> {
    if (!this.encoderPromise) {
      this.encoderPromise = (async () => {
        const recipe = await this.recipe();
        if (!recipe) throw new SimiliError('COLLECTION_MISSING', `Collection ${this.dir} is empty: run \`simili index <folder>\` first`);
        const { encoder } = await createEncoder(recipe, { ...this.encoderOptions, fallback: false });
        return encoder;
      })();
      this.encoderPromise.catch(() => { this.encoderPromise = null; });
    }
    return this.encoderPromise;
  }

  /** Settle which recipe this collection uses, creating the encoder; a conflicting request is an error. */
  private async adoptRecipe(requested: Recipe | undefined, reindex: boolean): Promise<Encoder> {
    const stored = await this.recipe();
    if (stored && !reindex) {
      if (requested && recipeEncoderId(requested) !== recipeEncoderId(stored)) {
        throw new SimiliError(
          'ENCODER_MISMATCH',
          `Collection ${this.dir} was built with ${recipeEncoderId(stored)}; ` +
            `to rebuild it with ${recipeEncoderId(requested)}, run index again with --reindex`,
        );
      }
      if (!requested || JSON.stringify(requested.post) === JSON.stringify(stored.post)) return this.encoder();
    }
    const wanted = requested ?? presetRecipe(DEFAULT_PRESET);
    // Only an implicit choice may fall back to the weight-free descriptor.
    const { encoder, recipe } = await createEncoder(wanted, { ...this.encoderOptions, fallback: requested === undefined });
    const previous = await this.store.getMeta(META.encoderId);
    if (previous !== undefined && previous !== encoder.id) await this.forgetCodes();
    await this.store.setMeta(META.recipe, JSON.stringify(recipe));
    await this.store.setMeta(META.encoderId, encoder.id);
    if (stored && JSON.stringify(stored.post) !== JSON.stringify(recipe.post)) {
      // Same vectors, new post-processing: forget the learned part and re-derive every code.
      await this.store.setBlob(META.transform, null);
      await this.store.setBlob(DBA_BLOB, null);
      this.transformCache = null;
      await this.store.rewriteCodes(await this.toCode());
    }
    if (this.encoderPromise) await (await this.encoderPromise).close();
    this.encoderPromise = Promise.resolve(encoder);
    return encoder;
  }

  private async transform(): Promise<LearnedTransform | null> {
    const generation = await this.store.generation();
    if (this.transformCache?.generation !== generation) {
      const blob = await this.store.getBlob(META.transform);
      this.transformCache = { generation, transform: blob ? deserializeTransform(blob) : null };
    }
    return this.transformCache.transform;
  }

  private async toCode(): Promise<(raw: Float32Array) => Float32Array> {
    const recipe = await this.recipe();
    if (!recipe) throw new SimiliError('COLLECTION_MISSING', `Collection ${this.dir} has no recipe yet`);
    return codeFunction(recipe.post, await this.transform());
  }

  /** Bytes of an image of this collection, wherever it lives. */
  async readImage(cataloguePath: string): Promise<Buffer> {
    if (isUrl(cataloguePath)) return fetchImage(cataloguePath);
    const root = (await this.root()) ?? this.dir;
    return fs.readFile(resolveCataloguePath(root, cataloguePath));
  }

  async locate(cataloguePath: string): Promise<string> {
    const root = (await this.root()) ?? this.dir;
    return resolveCataloguePath(root, cataloguePath);
  }

  /**
   * Bring the collection in step with the folder: new and changed files are encoded,
   * removed ones dropped, unchanged ones skipped. Safe to interrupt at any moment.
   */
  async index(folder: string, options: IndexOptions = {}): Promise<IndexSummary> {
    const started = performance.now();
    const root = path.resolve(folder);
    const st = await fs.stat(root).catch(() => null);
    if (!st?.isDirectory()) throw new SimiliError('NOT_FOUND', `Not a folder: ${root}`);
    const storedRoot = await this.root();
    if (storedRoot && storedRoot !== root && !options.reindex) {
      throw new SimiliError(
        'INVALID_PARAMETER',
        `Collection ${this.dir} indexes ${storedRoot}, not ${root}: use another --collection, or --reindex to move it`,
      );
    }
    const batchSize = integerInRange('batchSize', options.batchSize ?? 16, 1, 1024);
    const maxPixels = integerInRange('maxPixels', options.maxPixels ?? DEFAULT_MAX_PIXELS, 1, Number.MAX_SAFE_INTEGER);

    const encoder = await this.adoptRecipe(options.recipe, options.reindex ?? false);
    await this.store.setMeta(META.root, root);
    if (options.reindex) await this.forgetCodes();

    const files = await scanFolder(root);
    const seen = new Set(files.map((f) => f.path));
    const existing = await this.store.listImages();
    const byPath = new Map(existing.map((r) => [r.path, r]));
    const todo = [];
    for (const f of files) {
      if (options.defer?.has(f.path)) continue;
      const r = byPath.get(f.path);
      const same = r && r.size === f.size && r.mtimeMs === f.mtimeMs;
      if (same && (r.status === 'failed' || (r.hash !== null && (await this.store.hasVector(r.hash, encoder.id))))) continue;
      todo.push(f);
    }
    // Files under the root that are gone; images added from elsewhere (absolute paths, URLs) stay.
    const gone = existing.filter((r) => !isUrl(r.path) && !path.isAbsolute(r.path) && !seen.has(r.path)).map((r) => r.path);
    options.onPlan?.({ total: files.length, toProcess: todo.length, unchanged: files.length - todo.length, removed: gone.length });
    if (gone.length > 0) await this.store.removeImages(gone);

    const result = options.dispatch
      ? await options.dispatch(todo, { root, encoderId: encoder.id })
      : await this.indexFiles(root, todo, { batchSize, maxPixels, signal: options.signal, onProgress: options.onProgress });
    await this.store.pruneVectors();
    if (!result.aborted) await this.refreshDba((await this.refitIfNeeded()) || (options.reindex ?? false));
    if (!result.aborted) await syncLabels(this, { signal: options.signal });
    // Stopped while adding to the graph, it keeps what it has: the next run or search goes on from there.
    const graphStopped = !result.aborted && (await this.syncAnn({ onlyAboveThreshold: true, signal: options.signal, onProgress: options.onGraphProgress })
      .then(() => false, (err: unknown) => {
        if (options.signal?.aborted) return true;
        throw err;
      }));
    return {
      root,
      scanned: files.length,
      unchanged: files.length - todo.length,
      indexed: result.indexed,
      deduplicated: result.deduplicated,
      removed: gone.length,
      failed: result.failed,
      aborted: result.aborted || graphStopped,
      seconds: (performance.now() - started) / 1000,
      encoderId: encoder.id,
    };
  }

  /**
   * Encode these files (catalogue paths under `root`) into the catalogue, nothing else: no
   * scan, no removals, no re-fit. What `index` runs, and what a queue worker runs per job.
   */
  async indexFiles(
    root: string,
    files: readonly FileFacts[],
    options: { batchSize?: number; maxPixels?: number; signal?: AbortSignal; onProgress?: (p: PipelineProgress) => void } = {},
  ): Promise<PipelineResult> {
    const settings = await this.settings();
    const producers = SIDE_DATA_PRODUCERS.filter((p) => p.enabled(settings));
    try {
      return await runPipeline(files, {
        producers,
        store: this.store,
        encoder: await this.encoder(),
        toCode: await this.toCode(),
        reader: { read: (p) => fs.readFile(resolveCataloguePath(root, p)) },
        batchSize: integerInRange('batchSize', options.batchSize ?? 16, 1, 1024),
        maxPixels: integerInRange('maxPixels', options.maxPixels ?? DEFAULT_MAX_PIXELS, 1, Number.MAX_SAFE_INTEGER),
        signal: options.signal,
        onProgress: options.onProgress,
      });
    } finally {
      await Promise.all(producers.map((p) => p.close?.()));
    }
  }

  /** Every vector and what was derived from them goes: the next run re-encodes everything. */
  private async forgetCodes(): Promise<void> {
    await this.store.clearVectors();
    await this.store.setBlob(DBA_BLOB, null);
  }

  /**
   * Learn (or re-learn) the collection's post-processing when the recipe asks for it and
   * the collection has doubled since the last fit; then every code is re-projected.
   */
  async refitIfNeeded(force = false): Promise<boolean> {
    const recipe = await this.recipe();
    if (!recipe || !needsFit(recipe.post)) return false;
    const current = await this.transform();
    const n = await this.store.countImages('indexed');
    if (!force && current && n < current.fittedOn * 2) return false;
    // The fit looks at MAX_FIT_VECTORS codes at most: load only those (all codes of 1M images are 5 GB).
    const raw = await this.store.loadRaw(n > MAX_FIT_VECTORS ? await spreadIndexedIds(this.store, MAX_FIT_VECTORS) : undefined);
    const sampled = fitTransform(raw.data, raw.ids.length, raw.dim, recipe.post);
    // fittedOn counts the collection, not the sample: the next refit comes when the collection doubles.
    const fitted = sampled ? { ...sampled, fittedOn: n } : null;
    await this.store.setBlob(META.transform, fitted ? serializeTransform(fitted) : null);
    this.transformCache = null;
    await this.store.rewriteCodes(await this.toCode());
    return true;
  }

  /**
   * Recompute database-side augmentation when the recipe asks for it (after index and add
   * runs that changed the collection enough); above DBA_MAX_IMAGES it is dropped, and search
   * uses the plain codes.
   */
  async refreshDba(force = false): Promise<void> {
    const policy = (await this.recipe())?.post.dba;
    const n = await this.store.countImages('indexed');
    const current = await this.store.getBlob(DBA_BLOB);
    if (!policy || n > DBA_MAX_IMAGES) {
      if (current) await this.store.setBlob(DBA_BLOB, null);
      return;
    }
    // DBA costs an all-neighbours scan: redo it when the collection has changed by a tenth,
    // not for every added photo (new images use their plain code until then).
    const lastN = current ? storedMatrixRows(current) : 0;
    if (!force && current && Math.abs(n - lastN) <= DBA_REFRESH_FRACTION * lastN) return;
    await this.store.setBlob(DBA_BLOB, serializeMatrix(computeDba(await this.store.loadCodes(), policy)));
  }

  /** All searchable codes, cached until the catalogue changes. */
  async codes(): Promise<CodeMatrix> {
    return (await this.matrix()).matrix;
  }

  /**
   * The searchable rows (`matrix`: DBA-augmented when the recipe says so) and the codes
   * themselves (`plain`, the same object without DBA), in the same row order.
   */
  private async matrix(): Promise<{ matrix: CodeMatrix; plain: CodeMatrix; rowOf: Map<number, number> }> {
    const generation = await this.store.generation();
    if (this.matrixCache?.generation !== generation) {
      const plain = await this.store.loadCodes();
      const dba = (await this.recipe())?.post.dba ? await this.store.getBlob(DBA_BLOB) : undefined;
      const matrix = dba ? overlayDba(plain, deserializeMatrix(dba)) : plain;
      const rowOf = new Map<number, number>();
      matrix.ids.forEach((id, row) => rowOf.set(id, row));
      this.matrixCache = { generation, matrix, plain, rowOf };
    }
    return this.matrixCache;
  }

  /** Encode an outside image exactly as the collection's images were encoded. */
  async encodeImage(bytes: Buffer): Promise<Float32Array> {
    const encoder = await this.encoder();
    const image = await decodeImage(bytes, { maxSide: encoder.maxSide });
    const [raw] = await encoder.encodeBatch([image]);
    return (await this.toCode())(raw!);
  }

  /**
   * The query's code: encoded for outside images, read from the catalogue for an id. For an
   * id, `code` is the row search scans (augmented when the recipe uses DBA, so an image finds
   * itself first) and `plain` the stored code itself.
   */
  async queryCode(query: QueryInput): Promise<{ code: Float32Array; plain: Float32Array; kind: SearchResult['query']['kind']; label: string; id?: number; bytes?: Buffer }> {
    if (!('id' in query)) {
      const outside = await this.outsideQuery(query);
      const code = await this.encodeImage(outside.bytes);
      return { code, plain: code, ...outside };
    }
    const image = await this.store.getImage(query.id);
    const plain = image ? (await this.codesOf([query.id], false)).get(query.id) : undefined;
    if (!image || !plain) throw new SimiliError('NOT_FOUND', `No indexed image with id ${query.id} in ${this.dir}`);
    const code = (await this.codesOf([query.id], true)).get(query.id) ?? plain;
    return { code, plain, kind: 'id', label: image.path, id: image.id };
  }

  /**
   * Codes of a few images: the searchable rows (`augmented`: DBA when the recipe uses it) or
   * the codes themselves. From the matrix of every code when a search needs it anyway (exact
   * scans, DBA); otherwise from the store, so a search answered by the ANN graph never loads
   * every code of a million-image collection.
   */
  async codesOf(ids: readonly number[], augmented: boolean): Promise<Map<number, Float32Array>> {
    if (ids.length === 0) return new Map();
    if (!(await this.matrixNeeded(augmented))) return this.store.getCodes(ids);
    const cached = await this.matrix();
    const m = augmented ? cached.matrix : cached.plain;
    const out = new Map<number, Float32Array>();
    for (const id of ids) {
      const row = cached.rowOf.get(id);
      if (row !== undefined) out.set(id, m.data.slice(row * m.dim, (row + 1) * m.dim));
    }
    return out;
  }

  /**
   * Indexed images, counted once per catalogue generation: one search asks several times (ANN
   * or exact, code source, gate, `scanned`), and counting reads every row of the catalogue.
   */
  private async indexedCount(): Promise<number> {
    const generation = await this.store.generation();
    if (this.countCache?.generation !== generation) this.countCache = { generation, indexed: await this.store.countImages('indexed') };
    return this.countCache.indexed;
  }

  private async matrixNeeded(augmented: boolean): Promise<boolean> {
    if (this.matrixCache && this.matrixCache.generation === (await this.store.generation())) return true;
    const n = await this.indexedCount();
    if (!(await this.ann().useAnn(undefined, n))) return true;
    return augmented && n <= DBA_MAX_IMAGES && Boolean((await this.recipe())?.post.dba);
  }

  /** The bytes of a query image from outside the collection, and how to name it. */
  private async outsideQuery(query: Exclude<QueryInput, { id: number }>): Promise<{ bytes: Buffer; kind: SearchResult['query']['kind']; label: string }> {
    if ('url' in query) return { bytes: await fetchImage(query.url), kind: 'url', label: query.url };
    if ('buffer' in query) return { bytes: query.buffer, kind: 'buffer', label: query.name ?? 'uploaded image' };
    const bytes = await fs.readFile(query.path).catch((err: NodeJS.ErrnoException) => {
      throw new SimiliError(err.code === 'ENOENT' ? 'NOT_FOUND' : 'READ_ERROR', `Cannot read ${query.path}: ${err.message}`);
    });
    return { bytes, kind: 'path', label: query.path };
  }

  async search(query: QueryInput, options: SearchOptions = {}): Promise<SearchResult> {
    const k = integerInRange('k', options.k ?? 10, 1, 10_000);
    const threshold = options.threshold === undefined ? -Infinity : numberInRange('threshold', options.threshold, -1, 1);
    const t0 = performance.now();
    let q: Awaited<ReturnType<Collection['queryCode']>>;
    let predictions: Promise<ImageLabel[]> | undefined;
    if ('id' in query) q = await this.queryCode(query);
    else {
      const outside = await this.outsideQuery(query);
      // An outside query gated by its predictions needs the classifier too: it runs beside the encoder.
      if (options.byCategory === true && options.category === undefined) {
        predictions = predictQuery(this, outside.bytes);
        predictions.catch(() => undefined); // awaited (and reported) by the gate; never an unhandled rejection
      }
      const code = await this.encodeImage(outside.bytes);
      q = { code, plain: code, ...outside };
    }
    const t1 = performance.now();
    const excludeIds = [...(options.excludeIds ?? []), ...(q.id !== undefined ? [q.id] : [])];
    let candidateIds = options.candidateIds;
    let gate: GateInfo | undefined;
    if (wantsGate(options)) {
      const total = await this.indexedCount();
      const decision = await categoryGate(this, { ...(q.id !== undefined ? { id: q.id } : {}), ...(predictions ? { predictions } : {}) }, { ...options, k, excludeIds, total });
      gate = decision.gate;
      if (decision.candidateIds) {
        const allowed = new Set(decision.candidateIds);
        candidateIds = candidateIds ? candidateIds.filter((id) => allowed.has(id)) : decision.candidateIds;
      }
    }
    const rerank = options.rerank ? validateRerankOptions(options.rerank) : null;
    const firstK = rerank && rerank.method !== 'none' ? Math.max(k, rerank.topN) : k;
    const binary = options.encoder !== undefined && options.encoder !== 'recipe';
    // The graph holds the codes themselves, never DBA rows: a search it answers starts from the
    // query's own code and expands with its neighbours' codes, as an exact scan of them would.
    const byGraph = !binary && (await this.answeredByGraph(options.exact, candidateIds));
    const ranking = binary ? null : await this.rankingCode(byGraph ? q.plain : q.code, excludeIds, candidateIds, q.id === undefined, options.exact, !byGraph);
    const twin = ranking?.twin ?? null;
    const found = !ranking
      ? await this.binaryHits(options.encoder as 'itq' | 'autoencoder', q, firstK, excludeIds, candidateIds)
      : await this.searchCode(ranking.code, { ...options, k: twin ? firstK - 1 : firstK, threshold: undefined, excludeIds: ranking.exclude, ...(candidateIds ? { candidateIds } : {}) });
    // A twin is listed first, so it scores at least as high as the first of the rest.
    const firstHits = await this.withSimilarity(twin ? [{ ...twin, score: Math.max(twin.score, found[0]?.score ?? twin.score) }, ...found] : found, q.plain, threshold);
    const t2 = performance.now();
    const hits = rerank ? await rerankHits(this, q.bytes ? { buffer: q.bytes } : query, q.code, firstHits, rerank, k) : firstHits;
    const t3 = performance.now();
    const added = options.addQuery && q.kind !== 'id' ? await this.add([query]) : undefined;
    return {
      query: { kind: q.kind, label: q.label, ...(q.id !== undefined ? { id: q.id } : {}) },
      hits,
      scanned: candidateIds ? candidateIds.length : await this.indexedCount(),
      ...(gate ? { gate } : {}),
      ...(added ? { added } : {}),
      timings: { encodeMs: t1 - t0, searchMs: t2 - t1, ...(rerank ? { rerankMs: t3 - t2 } : {}) },
    };
  }

  /**
   * The code search ranks with: the query itself, or, when the recipe expands queries, the
   * query joined with its top neighbours. An outside copy of a collection image (plain codes
   * agreeing to TWIN_SCORE) is expanded as that image, like a query by id, and returned as
   * `twin` to be listed first: expansion must not push a twin down.
   */
  private async rankingCode(
    code: Float32Array, excludeIds: readonly number[], candidateIds: readonly number[] | undefined, outside: boolean, exact: boolean | undefined,
    augmented: boolean,
  ): Promise<{ code: Float32Array; exclude: readonly number[]; twin: SearchHit | null }> {
    const policy = (await this.recipe())?.search?.queryExpansion;
    if (!policy) return { code, exclude: excludeIds, twin: null };
    // The expansion's neighbours come from the same search as the hits: `exact` holds for both.
    const scope = { ...(candidateIds ? { candidateIds } : {}), ...(exact !== undefined ? { exact } : {}) };
    // One scan serves both the twin check and the expansion, unless a twin is found.
    const near = (c: Float32Array, exclude: readonly number[]): Promise<SearchHit[]> =>
      this.searchCode(c, { k: Math.max(policy.k, TWIN_CANDIDATES), excludeIds: exclude, ...scope });
    let base = code;
    let exclude = excludeIds;
    let twin: SearchHit | null = null;
    let neighbours = await near(code, excludeIds);
    // Searchable rows may be augmented (DBA): the twin test compares plain codes.
    const nearest = outside ? neighbours.slice(0, TWIN_CANDIDATES) : [];
    const plain = await this.codesOf(nearest.map((h) => h.id), false);
    for (const hit of nearest) {
      const own = plain.get(hit.id);
      const score = own ? dot(own, 0, code, code.length) : -1;
      if (score < TWIN_SCORE) continue;
      base = (await this.codesOf([hit.id], augmented)).get(hit.id) ?? own!;
      exclude = [...excludeIds, hit.id];
      twin = { ...hit, score };
      neighbours = await near(base, exclude);
      break;
    }
    // Expansion adds the neighbours' searchable rows, packed into a small matrix.
    const used = neighbours.slice(0, policy.k);
    const rowsById = await this.codesOf(used.map((h) => h.id), augmented);
    const present = used.filter((h) => rowsById.has(h.id));
    const data = new Float32Array(present.length * base.length);
    present.forEach((h, i) => data.set(rowsById.get(h.id)!, i * base.length));
    const rows = present.map((h, row) => ({ row, score: h.score }));
    return { code: weightedExpansion({ dim: base.length, data }, base, rows, policy), exclude, twin };
  }

  private async binaryHits(
    space: 'itq' | 'autoencoder', q: { code: Float32Array; id?: number; bytes?: Buffer }, k: number,
    excludeIds: readonly number[], candidateIds: readonly number[] | undefined,
  ): Promise<SearchHit[]> {
    // A candidate gate narrows afterwards: ask for everything the gate might drop.
    const want = candidateIds ? Math.max(k, await this.indexedCount()) : k;
    let scored = await binaryScored(this, space, q, want, new Set(excludeIds));
    if (candidateIds) {
      const allowed = new Set(candidateIds);
      scored = scored.filter((s) => allowed.has(s.id)).slice(0, k);
    }
    return this.toHits(scored);
  }

  /** Hits in the order given, each with its `similarity` to the query's code; those below `threshold` dropped. */
  private async withSimilarity(hits: readonly SearchHit[], query: Float32Array, threshold: number): Promise<SearchHit[]> {
    const codes = await this.codesOf(hits.map((h) => h.id), false);
    const kept: SearchHit[] = [];
    for (const hit of hits) {
      const code = codes.get(hit.id);
      const similarity = code && code.length === query.length ? dot(code, 0, query, query.length) : hit.score;
      if (similarity >= threshold) kept.push({ ...hit, similarity });
    }
    return kept.map((h, i) => ({ ...h, rank: i + 1 }));
  }

  /** Whether the ANN graph answers a search; a candidate subset is small by nature and scanned exactly. */
  private async answeredByGraph(exact: boolean | undefined, candidateIds: readonly number[] | undefined): Promise<boolean> {
    return !candidateIds && this.ann().useAnn(exact, await this.indexedCount());
  }

  /**
   * Nearest images to a code already in this collection's space: by the searchable rows
   * (DBA-augmented when the recipe says so), or by the codes themselves with `plain`.
   */
  async searchCode(code: Float32Array, options: SearchOptions & { plain?: boolean } = {}): Promise<SearchHit[]> {
    if (await this.answeredByGraph(options.exact, options.candidateIds)) return this.annSearchCode(code, options);
    // --exact, or a category gate's candidates, on a collection the graph answers: read the
    // codes page by page, never all at once.
    if (!(await this.matrixNeeded(!options.plain))) return this.streamedSearchCode(code, options);
    const cached = await this.matrix();
    const { rowOf } = cached;
    const matrix = options.plain ? cached.plain : cached.matrix;
    if (matrix.ids.length === 0) return [];
    if (code.length !== matrix.dim) {
      throw codeMismatch(this.dir, code.length, matrix.dim);
    }
    const rowsOf = (ids: readonly number[]): number[] => ids.map((id) => rowOf.get(id)).filter((r): r is number => r !== undefined);
    const excludeRows = new Set(rowsOf(options.excludeIds ?? []));
    const top = exactTopK(matrix, code, options.k ?? 10, {
      excludeRows,
      ...(options.candidateIds ? { rows: rowsOf(options.candidateIds) } : {}),
    });
    return this.toHits(top.map((t) => ({ id: matrix.ids[t.row]!, score: t.score })), options.threshold);
  }

  /**
   * An exact scan in bounded memory, of every image or of `candidateIds`: the codes of one
   * page of images at a time, a top-k heap across them.
   */
  private async streamedSearchCode(code: Float32Array, options: SearchOptions): Promise<SearchHit[]> {
    const exclude = new Set(options.excludeIds ?? []);
    const top = new TopK(options.k ?? 10);
    const candidates = options.candidateIds;
    async function* pages(store: CatalogueStore): AsyncGenerator<number[]> {
      if (!candidates) for await (const page of indexedPages(store, STREAM_PAGE)) yield page.map((r) => r.id);
      else for (let i = 0; i < candidates.length; i += STREAM_PAGE) yield candidates.slice(i, i + STREAM_PAGE);
    }
    for await (const ids of pages(this.store)) {
      for (const [id, c] of await this.store.getCodes(ids)) {
        if (c.length !== code.length) {
          throw codeMismatch(this.dir, code.length, c.length);
        }
        if (!exclude.has(id)) top.push(id, dot(c, 0, code, code.length));
      }
    }
    // TopK keeps "rows": here they are image ids.
    return this.toHits(top.result().map((t) => ({ id: t.row, score: t.score })), options.threshold);
  }

  /** Scored image ids, best first, as search hits: records looked up, weak scores dropped, ranks from 1. */
  async toHits(scored: ReadonlyArray<{ id: number; score: number }>, threshold = -Infinity): Promise<SearchHit[]> {
    const kept = scored.filter((t) => t.score >= threshold);
    const records = new Map((await this.store.getImages(kept.map((t) => t.id))).map((r) => [r.id, r]));
    const root = (await this.root()) ?? this.dir;
    return kept.flatMap((t) => {
      const r = records.get(t.id);
      return r ? [{ id: r.id, path: r.path, location: resolveCataloguePath(root, r.path), score: t.score }] : [];
    }).map((h, i) => ({ rank: i + 1, ...h }));
  }

  private ann(): AnnSearcher {
    this.annSearcher ??= new AnnSearcher(this.dir, this.store, () => this.annIdentity());
    return this.annSearcher;
  }

  private async annIdentity(): Promise<AnnIdentity | null> {
    const encoderId = await this.store.getMeta(META.encoderId);
    if (encoderId === undefined) return null;
    const transform = await this.store.getBlob(META.transform);
    return { encoderId, codes: transform ?? (await this.store.getMeta(META.recipe)) ?? '', config: annConfig((await this.settings()).ann) };
  }

  /**
   * Build or patch the ANN index now (a usearch graph in the collection folder; nothing for a
   * store with its own index). After indexing this runs only above the ANN threshold.
   */
  async syncAnn(options: { onlyAboveThreshold?: boolean; onProgress?: (p: AnnSyncProgress) => void; signal?: AbortSignal } = {}): Promise<AnnSyncResult | null> {
    if (options.onlyAboveThreshold && !(await this.ann().useAnn(undefined, await this.store.countImages('indexed')))) return null;
    return this.ann().sync(options.onProgress, options.signal);
  }

  private async annSearchCode(code: Float32Array, options: SearchOptions): Promise<SearchHit[]> {
    const [first] = await this.store.listImages({ status: 'indexed', limit: 1 });
    const sample = first ? await this.store.getCode(first.id) : undefined;
    if (!sample) return [];
    if (code.length !== sample.length) {
      throw codeMismatch(this.dir, code.length, sample.length);
    }
    const top = await this.ann().search(code, options.k ?? 10, new Set(options.excludeIds ?? []));
    return this.toHits(top, options.threshold);
  }

  /**
   * Groups of near-duplicate images (cosine similarity >= threshold, byte-identical files
   * included), largest first. Uses the ANN index on large collections like search does.
   */
  async duplicates(options: { threshold?: number; k?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<Array<DuplicateGroup & { images: ImageRecord[] }>> {
    const threshold = numberInRange('threshold', options.threshold ?? 0.95, -1, 1);
    const k = integerInRange('k', options.k ?? 10, 1, 1000);
    const ids: number[] = [];
    for await (const page of indexedPages(this.store)) for (const r of page) ids.push(r.id);
    const groups = await findDuplicateGroups(ids, async (id, n, min) => {
      // Judged by the codes themselves (DBA rows make a whole cluster look alike), read one
      // at a time when the ANN graph answers, so memory stays bounded at any size.
      const code = (await this.codesOf([id], false)).get(id);
      if (!code) return [];
      const hits = await this.searchCode(code, { k: n, threshold: min, excludeIds: [id], plain: true });
      return hits.map((h) => ({ id: h.id, score: h.score }));
    }, { threshold, k, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
    return Promise.all(groups.map(async (g) => ({ ...g, images: await this.store.getImages(g.ids) })));
  }

  async images(options: { status?: ImageRecord['status']; limit?: number; offset?: number } = {}): Promise<ImageRecord[]> {
    return this.store.listImages(options);
  }

  /** Catalogue path of a file given on the command line, relative to the root when it is under it. */
  async cataloguePathOf(file: string): Promise<string> {
    if (isUrl(file)) return file;
    const root = (await this.root()) ?? this.dir;
    return toCataloguePath(root, path.resolve(file));
  }

  /**
   * Add files, URLs or in-memory images in place (no rebuild): encoded, labelled and stored
   * like indexed ones; files under the root keep root-relative paths, URLs are their own identity.
   */
  async add(items: ReadonlyArray<string | QueryInput>, options: AddOptions = {}): Promise<AddSummary> {
    const stored = await this.recipe();
    const encoder = await this.adoptRecipe(stored ? undefined : options.recipe, false);
    const settings = await this.settings();
    return addItems(this, items, {
      ...options,
      encoder,
      toCode: await this.toCode(),
      producers: SIDE_DATA_PRODUCERS.filter((p) => p.enabled(settings)),
      afterWrite: async () => {
        await this.refreshDba(await this.refitIfNeeded());
        await syncLabels(this);
      },
    });
  }

  /** Remove images (catalogue paths, files, folders or URLs) in place; returns how many went. */
  async remove(paths: readonly string[]): Promise<number> {
    return removeItems(this, paths);
  }

  /** Keep following a folder (index --watch): see live/watch.ts. Call close() on the result to stop. */
  watch(folder: string, options: WatchOptions = {}): FolderWatcher {
    return watchFolder(this, folder, options);
  }

  /** A small WebP preview of an image (made and cached on first use when missing). */
  async thumbnail(id: number): Promise<Buffer | null> {
    return thumbnailOf(this, id);
  }

  async close(): Promise<void> {
    if (this.encoderPromise) await (await this.encoderPromise.catch(() => null))?.close();
    await this.store.close();
  }
}
