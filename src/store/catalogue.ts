/**
 * The catalogue: what a collection knows about its images and their vectors.
 * An interface, because the same collection can live in one SQLite file (default) or
 * in a shared PostgreSQL database; every method is async so both fit behind it.
 */

export type ImageStatus = 'indexed' | 'failed';

export interface ImageRecord {
  id: number;
  /** Identity of the image: path relative to the collection root, an absolute path, or an http(s) URL. */
  path: string;
  size: number;
  mtimeMs: number;
  /** sha256 of the file's bytes; identical files share one vector. Null when the file could not be read. */
  hash: string | null;
  width: number | null;
  height: number | null;
  format: string | null;
  status: ImageStatus;
  errorCode: string | null;
  error: string | null;
  addedAt: number;
  updatedAt: number;
}

/** File facts known before decoding, used for change detection. */
export interface FileFacts {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface IndexedImage extends FileFacts {
  hash: string;
  width: number;
  height: number;
  format: string;
}

export interface FailedImage extends FileFacts {
  hash: string | null;
  errorCode: string;
  error: string;
}

export interface StoredVector {
  hash: string;
  encoderId: string;
  /** Encoder output, kept so post-processing can be re-learned without re-encoding. */
  raw: Float32Array;
  /** What search scans: raw after the collection's learned post-processing, L2-normalised. */
  code: Float32Array;
}

/** All searchable codes in one contiguous row-major matrix, rows aligned with `ids`. */
export interface CodeMatrix {
  ids: Int32Array;
  dim: number;
  data: Float32Array;
}

export interface SideData {
  kind: string;
  hash: string;
  data: Buffer;
}

export interface ImageLabel {
  classIndex: number;
  probability: number;
}

/** Label rows in columns, one row per (image, class): grouped by image, most probable class first. */
export interface LabelRows {
  imageIds: Int32Array;
  classIndexes: Int32Array;
  probabilities: Float32Array;
}

export interface WriteBatch {
  indexed: Array<{ image: IndexedImage; vector: StoredVector | null }>;
  failed: FailedImage[];
  sideData?: SideData[];
}

export interface ListOptions {
  status?: ImageStatus;
  limit?: number;
  offset?: number;
  /** Only ids above this one: pages through a large catalogue at constant cost per page (OFFSET re-reads the skipped rows). */
  afterId?: number;
}

export interface CatalogueStore {
  readonly location: string;

  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  getBlob(name: string): Promise<Buffer | undefined>;
  setBlob(name: string, value: Buffer | null): Promise<void>;

  /** Bumped on every change to images or vectors, so readers know when to reload. */
  generation(): Promise<number>;

  countImages(status?: ImageStatus): Promise<number>;
  listImages(options?: ListOptions): Promise<ImageRecord[]>;
  getImage(idOrPath: number | string): Promise<ImageRecord | undefined>;
  getImages(ids: readonly number[]): Promise<ImageRecord[]>;

  /** Hashes that already have a vector made by this encoder: identical files are embedded once. */
  hasVector(hash: string, encoderId: string): Promise<boolean>;

  /** Write a batch atomically: either every row lands or none does. */
  writeBatch(batch: WriteBatch): Promise<void>;

  /**
   * Per-image side data keyed by content hash and a kind ('thumb', 'grey64', 'labels', ...):
   * what re-rankers, thumbnails and category gates need without decoding the file again.
   */
  getImageData(kind: string, hashes: readonly string[]): Promise<Map<string, Buffer>>;
  putImageData(kind: string, entries: ReadonlyArray<{ hash: string; data: Buffer }>): Promise<void>;

  /**
   * Predicted classes per content hash (top-k of an ImageNet classifier), the inverted index
   * category -> images behind category-gated search and `ls --label`. Replaces a hash's labels.
   */
  putLabels(entries: ReadonlyArray<{ hash: string; labels: readonly ImageLabel[] }>): Promise<void>;
  getLabels(hashes: readonly string[]): Promise<Map<string, ImageLabel[]>>;
  /** Every label of every indexed image, for an in-memory inverted index. */
  loadLabels(): Promise<LabelRows>;
  /** Ids of indexed images labelled with any of these classes (uses the class index). */
  imagesWithClasses(classIndexes: readonly number[]): Promise<number[]>;
  /** Hashes of indexed images that have no labels yet (labels switched on later, side data lost). */
  unlabelledHashes(limit?: number): Promise<string[]>;

  removeImages(paths: readonly string[]): Promise<number>;
  /** Drop vectors and side data no image refers to any more. */
  pruneVectors(): Promise<number>;
  /** Forget every vector (e.g. --reindex with another recipe); images are re-encoded next run. */
  clearVectors(): Promise<void>;

  /** Raw vectors of indexed images (for learning post-processing), in image-id order: all, or those of `ids`. */
  loadRaw(ids?: readonly number[]): Promise<CodeMatrix>;
  /**
   * Replace every code in one transaction (after post-processing was re-learned), reading
   * and writing a page of vectors at a time: memory does not grow with the catalogue.
   */
  rewriteCodes(encode: (raw: Float32Array) => Float32Array): Promise<void>;
  loadCodes(): Promise<CodeMatrix>;
  getCode(imageId: number): Promise<Float32Array | undefined>;
  /** Codes of indexed images by id (ids not indexed are absent), in one query. */
  getCodes(ids: readonly number[]): Promise<Map<number, Float32Array>>;

  close(): Promise<void>;
}

/** Indexed images a page at a time, in id order: keyset pages, so each costs the same however deep. */
export async function* indexedPages(store: CatalogueStore, pageSize = 10_000): AsyncGenerator<ImageRecord[]> {
  let afterId = -1;
  for (;;) {
    const page = await store.listImages({ status: 'indexed', limit: pageSize, afterId });
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    afterId = page.at(-1)!.id;
  }
}

/** Vectors read and written per step when every code is rewritten. */
export const REWRITE_PAGE = 1000;

/**
 * Ids of at most `count` indexed images, evenly spread over id order (the order they were
 * indexed, so every part of the collection is represented), read page by page.
 */
export async function spreadIndexedIds(store: CatalogueStore, count: number): Promise<number[]> {
  const total = await store.countImages('indexed');
  const out: number[] = [];
  let seen = 0;
  for await (const page of indexedPages(store)) {
    for (const r of page) {
      // The j-th pick is row floor(j * total / count): one per share of the collection.
      if (total <= count || (out.length < count && seen === Math.floor((out.length * total) / count))) out.push(r.id);
      seen++;
    }
  }
  return out;
}
