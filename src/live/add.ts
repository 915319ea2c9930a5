/**
 * Adding and removing images in place: no rescan of the root, no rebuild. Items are files,
 * folders (every image under them), http(s) URLs, or in-memory images (saved into the
 * collection folder, since the catalogue only refers to images by path or URL).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Collection, QueryInput } from '../collection.js';
import { DEFAULT_MAX_PIXELS } from '../decode/decode.js';
import { fetchImage, type FetchImageOptions } from '../decode/fetch-image.js';
import type { Encoder } from '../encode/encoder.js';
import type { Recipe } from '../encode/recipe.js';
import { errorMessage, invalidParameter } from '../errors.js';
import { runPipeline, type PipelineProgress } from '../indexing/pipeline.js';
import { isImageName, isUrl, resolveCataloguePath, scanFolder } from '../indexing/scan.js';
import type { SideDataProducer } from '../indexing/side-data.js';
import type { FailedImage, FileFacts } from '../store/catalogue.js';
import { integerInRange } from '../validate.js';

export interface AddOptions {
  /** Recipe when the collection is new (default preset otherwise). */
  recipe?: Recipe;
  batchSize?: number;
  maxPixels?: number;
  signal?: AbortSignal;
  onProgress?: (p: PipelineProgress) => void;
  /** Timeouts, size limit and retries for URLs. */
  fetch?: FetchImageOptions;
}

export interface AddSummary {
  /** Catalogue paths of the items, as stored (URLs unchanged). */
  paths: string[];
  indexed: number;
  deduplicated: number;
  /** Items that could not be added; URLs and unreadable files are also recorded as failed in the catalogue. */
  failed: FailedImage[];
}

interface AddInternals {
  encoder: Encoder;
  toCode: (raw: Float32Array) => Float32Array;
  producers: readonly SideDataProducer[];
  afterWrite: () => Promise<void>;
}

const FORMAT_EXTENSIONS: Record<string, string> = { jpeg: '.jpg', png: '.png', webp: '.webp', gif: '.gif', tiff: '.tif', heif: '.heic', avif: '.avif' };

/** In-memory images are kept under the collection folder so the catalogue can refer to them. */
async function saveBuffer(collection: Collection, buffer: Buffer, name: string | undefined): Promise<string> {
  const hash = createHash('sha256').update(buffer).digest('hex').slice(0, 20);
  const ext = name && isImageName(name) ? path.extname(name).toLowerCase() : sniffExtension(buffer);
  const dir = path.join(collection.dir, 'added');
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, hash + ext);
  await fs.writeFile(file, buffer);
  return file;
}

function sniffExtension(b: Buffer): string {
  if (b[0] === 0xff && b[1] === 0xd8) return FORMAT_EXTENSIONS.jpeg!;
  if (b.subarray(0, 4).toString('latin1') === '\x89PNG') return FORMAT_EXTENSIONS.png!;
  if (b.subarray(8, 12).toString('latin1') === 'WEBP') return FORMAT_EXTENSIONS.webp!;
  if (b.subarray(0, 3).toString('latin1') === 'GIF') return FORMAT_EXTENSIONS.gif!;
  return '.img';
}

/** Items -> file facts (catalogue paths), expanding folders; missing files are reported. */
async function plan(collection: Collection, items: ReadonlyArray<string | QueryInput>): Promise<{ facts: FileFacts[]; missing: FailedImage[] }> {
  const facts: FileFacts[] = [];
  const missing: FailedImage[] = [];
  const seen = new Set<string>();
  const push = (f: FileFacts): void => {
    if (!seen.has(f.path)) {
      seen.add(f.path);
      facts.push(f);
    }
  };
  for (const item of items) {
    let local: string;
    if (typeof item === 'string') {
      if (item.length === 0) throw invalidParameter('items', 'file paths or http(s) URLs', item);
      if (isUrl(item)) {
        push({ path: item, size: 0, mtimeMs: Date.now() });
        continue;
      }
      local = path.resolve(item);
    } else if ('url' in item) {
      push({ path: item.url, size: 0, mtimeMs: Date.now() });
      continue;
    } else if ('buffer' in item) {
      local = await saveBuffer(collection, item.buffer, item.name);
    } else if ('path' in item) {
      local = path.resolve(item.path);
    } else {
      continue; // An image of the collection is already in it.
    }
    const st = await fs.stat(local).catch((err: NodeJS.ErrnoException) => err);
    if (st instanceof Error) {
      missing.push({ path: local, size: 0, mtimeMs: 0, hash: null, errorCode: st.code === 'ENOENT' ? 'NOT_FOUND' : 'READ_ERROR', error: errorMessage(st) });
    } else if (st.isDirectory()) {
      for (const f of await scanFolder(local)) {
        const abs = resolveCataloguePath(local, f.path);
        push({ ...f, path: await collection.cataloguePathOf(abs) });
      }
    } else {
      push({ path: await collection.cataloguePathOf(local), size: st.size, mtimeMs: Math.floor(st.mtimeMs) });
    }
  }
  return { facts, missing };
}

export async function addItems(
  collection: Collection,
  items: ReadonlyArray<string | QueryInput>,
  options: AddOptions & AddInternals,
): Promise<AddSummary> {
  if (!Array.isArray(items)) throw invalidParameter('items', 'an array of file paths or URLs', items);
  const batchSize = integerInRange('batchSize', options.batchSize ?? 16, 1, 1024);
  const maxPixels = integerInRange('maxPixels', options.maxPixels ?? DEFAULT_MAX_PIXELS, 1, Number.MAX_SAFE_INTEGER);
  const { facts, missing } = await plan(collection, items);
  const root = (await collection.root()) ?? collection.dir;
  const result = await runPipeline(facts, {
    store: collection.store,
    encoder: options.encoder,
    toCode: options.toCode,
    producers: options.producers,
    reader: { read: (p) => (isUrl(p) ? fetchImage(p, options.fetch) : fs.readFile(resolveCataloguePath(root, p))) },
    batchSize,
    maxPixels,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  await Promise.all(options.producers.map((p) => p.close?.()));
  // A re-added path whose bytes changed leaves its old vector behind.
  await collection.store.pruneVectors();
  if (!result.aborted) await options.afterWrite();
  return { paths: facts.map((f) => f.path), indexed: result.indexed, deduplicated: result.deduplicated, failed: [...missing, ...result.failed] };
}

/**
 * Remove by catalogue path (as `ls` prints it), by file or folder on disk (everything under
 * it), or by URL. Unknown paths are ignored; the count says what went.
 */
export async function removeItems(collection: Collection, paths: readonly string[]): Promise<number> {
  if (!Array.isArray(paths)) throw invalidParameter('paths', 'an array of paths or URLs', paths);
  const known = (await collection.store.listImages()).map((r) => r.path);
  const doomed = new Set<string>();
  for (const p of paths) {
    if (typeof p !== 'string' || p.length === 0) throw invalidParameter('paths', 'non-empty strings', p);
    const forms = new Set([p.replace(/\/+$/, ''), (await collection.cataloguePathOf(p)).replace(/\/+$/, '')]);
    for (const k of known) {
      for (const f of forms) if (k === f || (!isUrl(f) && k.startsWith(f + '/'))) doomed.add(k);
    }
  }
  if (doomed.size === 0) return 0;
  const removed = await collection.store.removeImages([...doomed]);
  await collection.store.pruneVectors();
  return removed;
}
