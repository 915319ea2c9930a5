/**
 * Re-ranking wired to a collection: where the greyscale copies, codes and the similarity model
 * come from. `Collection.search` calls `rerankHits`; `simili eval` and the bench use `rerankRanker`.
 */
import { promises as fs } from 'node:fs';
import type { Collection, QueryInput, SearchHit } from '../collection.js';
import { decodeImage } from '../decode/decode.js';
import { fetchImage } from '../decode/fetch-image.js';
import { SimiliError } from '../errors.js';
import { cosineRanker, type Ranker } from '../eval/evaluate.js';
import type { CodeMatrix } from '../store/catalogue.js';
import { GREY_KIND, greyFromBuffer, greyThumbnail, greyToBuffer, type GreyImage } from './grey.js';
import { deserializeModel, SIMILARITY_BLOB, type SimilarityModel } from './learned/model.js';
import { createReranker, validateRerankOptions, type GreyLookup, type RerankCandidate, type Reranker, type RerankOptions } from './rerankers.js';

/** Decoding for SSIM only needs a few hundred pixels: let JPEG shrink-on-load do the work. */
const GREY_DECODE_SIDE = 512;

export async function greyOfBytes(bytes: Buffer): Promise<GreyImage> {
  return greyThumbnail(await decodeImage(bytes, { maxSide: GREY_DECODE_SIDE }));
}

/**
 * Greyscale copies by image id: the side data written at index time; images indexed before the
 * producer existed are decoded once and their copies stored, so the next search is fast.
 */
export function greyLookup(collection: Collection): GreyLookup {
  return async (ids) => {
    const records = await collection.store.getImages(ids);
    const hashes = records.flatMap((r) => (r.hash ? [r.hash] : []));
    const stored = await collection.store.getImageData(GREY_KIND, hashes);
    const out = new Map<number, GreyImage>();
    const made: Array<{ hash: string; data: Buffer }> = [];
    for (const r of records) {
      const buf = r.hash ? stored.get(r.hash) : undefined;
      const g = buf ? greyFromBuffer(buf) : null;
      if (g) {
        out.set(r.id, g);
        continue;
      }
      try {
        const fresh = await greyOfBytes(await collection.readImage(r.path));
        out.set(r.id, fresh);
        if (r.hash) made.push({ hash: r.hash, data: greyToBuffer(fresh) });
      } catch {
        // Moved or unreadable since indexing: the re-ranker sinks it rather than failing the search.
      }
    }
    if (made.length > 0) await collection.store.putImageData(GREY_KIND, made);
    return out;
  };
}

/** The query's greyscale copy, computed at most once and only if a re-ranker asks for it. */
export function queryGrey(query: QueryInput, lookup: GreyLookup): () => Promise<GreyImage | null> {
  let memo: Promise<GreyImage | null> | null = null;
  return () => {
    memo ??= (async () => {
      if ('id' in query) return (await lookup([query.id])).get(query.id) ?? null;
      const bytes = 'buffer' in query ? query.buffer : 'url' in query ? await fetchImage(query.url) : await fs.readFile(query.path);
      return greyOfBytes(bytes);
    })();
    return memo;
  };
}

/** The collection's trained similarity model, refused when it was trained on another encoder's codes. */
export async function loadSimilarityModel(collection: Collection): Promise<SimilarityModel> {
  const blob = await collection.store.getBlob(SIMILARITY_BLOB);
  if (!blob) {
    throw new SimiliError('NOT_FOUND', `Collection ${collection.dir} has no similarity model: run \`simili train similarity\` first`);
  }
  const model = deserializeModel(blob);
  const { encoderId } = await collection.info();
  if (encoderId !== model.info.encoderId) {
    throw new SimiliError('ENCODER_MISMATCH', `The similarity model was trained on ${model.info.encoderId} codes but the collection now uses ${encoderId}: run \`simili train similarity\` again`);
  }
  return model;
}

export function collectionReranker(collection: Collection, method: RerankOptions['method'], model?: SimilarityModel): Reranker {
  let modelPromise: Promise<SimilarityModel> | null = model ? Promise.resolve(model) : null;
  return createReranker(method, {
    greys: greyLookup(collection),
    model: () => (modelPromise ??= loadSimilarityModel(collection)),
  });
}

const rowIndex = new WeakMap<CodeMatrix, Map<number, number>>();
function rowsById(matrix: CodeMatrix): Map<number, number> {
  let m = rowIndex.get(matrix);
  if (!m) {
    m = new Map();
    matrix.ids.forEach((id, row) => m!.set(id, row));
    rowIndex.set(matrix, m);
  }
  return m;
}

function codeOf(matrix: CodeMatrix, row: number): Float32Array {
  return matrix.data.subarray(row * matrix.dim, (row + 1) * matrix.dim);
}

/**
 * Re-order first-stage hits (which should be the top `topN`) and keep the best `k`.
 * Scores become the re-ranker's (SSIM, SSIM/distance, model probability); ranks are renumbered.
 */
export async function rerankHits(
  collection: Collection,
  query: QueryInput,
  queryCode: Float32Array,
  hits: readonly SearchHit[],
  options: RerankOptions,
  k: number,
): Promise<SearchHit[]> {
  const { method } = validateRerankOptions(options);
  if (method === 'none') return hits.slice(0, k);
  // The searchable rows of the candidates only: a search answered by the ANN graph never loads every code.
  const codes = await collection.codesOf(hits.map((h) => h.id), true);
  const candidates: RerankCandidate[] = hits.flatMap((h) => {
    const code = codes.get(h.id);
    return code ? [{ id: h.id, code, score: h.score }] : [];
  });
  const reranker = collectionReranker(collection, method);
  const lookup = greyLookup(collection);
  const ordered = await reranker.rerank({ code: queryCode, grey: queryGrey(query, lookup) }, candidates);
  const byId = new Map(hits.map((h) => [h.id, h]));
  return ordered.slice(0, k).map((o, i) => ({ ...byId.get(o.id)!, rank: i + 1, score: o.score }));
}

export interface RerankRankerOptions extends RerankOptions {
  /** A model to use instead of the collection's (e.g. one trained on a class split). */
  model?: SimilarityModel;
  /** Greyscale copy of an outside query (excludeRow null), when the method needs one. */
  outsideGrey?: (code: Float32Array) => Promise<GreyImage | null>;
  /** Called with the milliseconds each query's re-ranking took (for "added ms per query"). */
  onTiming?: (ms: number) => void;
}

/**
 * An evaluation Ranker: full cosine ranking, then the top N re-ordered by the re-ranker; the
 * rest keep their cosine order below them.
 */
export function rerankRanker(collection: Collection, matrix: CodeMatrix, options: RerankRankerOptions): Ranker {
  const { method, topN } = validateRerankOptions(options);
  const first = cosineRanker(matrix);
  if (method === 'none') return first;
  const reranker = collectionReranker(collection, method, options.model);
  const lookup = greyLookup(collection);
  return async (code, excludeRow) => {
    const ranked = await first(code, excludeRow);
    const started = performance.now();
    const head = ranked.slice(0, topN);
    const candidates = head.map((row) => ({ id: matrix.ids[row]!, code: codeOf(matrix, row), score: 0 }));
    const grey = async (): Promise<GreyImage | null> => {
      if (excludeRow !== null) return (await lookup([matrix.ids[excludeRow]!])).get(matrix.ids[excludeRow]!) ?? null;
      if (!options.outsideGrey) throw new SimiliError('INVALID_PARAMETER', `Re-ranking outside queries with ${method} needs their images`);
      return options.outsideGrey(code);
    };
    const ordered = await reranker.rerank({ code, grey }, candidates);
    const rowOf = rowsById(matrix);
    const out = [...ordered.map((o) => rowOf.get(o.id)!), ...ranked.slice(topN)];
    options.onTiming?.(performance.now() - started);
    return out;
  };
}

/**
 * Greyscale copies of outside query files for `rerankRanker`, which only sees their codes:
 * each file is encoded once more and matched to the code it produced (same encoder, same bytes,
 * so the same code). A handful of labelled queries makes this cheap.
 */
export function outsideGreyByCode(collection: Collection, files: readonly string[]): (code: Float32Array) => Promise<GreyImage | null> {
  let known: Promise<Array<{ code: Float32Array; file: string }>> | null = null;
  const greys = new Map<string, Promise<GreyImage>>();
  return async (code) => {
    known ??= Promise.all(files.map(async (file) => ({ code: (await collection.queryCode({ path: file })).code, file })));
    let best: { file: string; score: number } | null = null;
    for (const k of await known) {
      let s = 0;
      for (let i = 0; i < code.length; i++) s += code[i]! * k.code[i]!;
      if (!best || s > best.score) best = { file: k.file, score: s };
    }
    if (!best || best.score < 0.999) return null;
    const file = best.file;
    if (!greys.has(file)) greys.set(file, fs.readFile(file).then(greyOfBytes));
    return greys.get(file)!;
  };
}
