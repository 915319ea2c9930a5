/**
 * Search in a collection's bit codes instead of its float codes: CNN-ITQ bits (Hamming
 * top few hundred, then float re-rank) or the denoising autoencoder's bits (Hamming only).
 * The models and packed codes are loaded once per catalogue generation.
 */
import type { Collection } from '../collection.js';
import { decodeImage } from '../decode/decode.js';
import { SimiliError } from '../errors.js';
import type { Ranker } from '../eval/evaluate.js';
import type { CodeMatrix } from '../store/catalogue.js';
import { loadCollectionAutoencoder, searchAutoencoder } from './autoencoder/collection-train.js';
import { hammingTopK } from './hamming.js';
import { itqSearcher, loadCollectionItq } from './itq-collection.js';

export const CODE_SPACES = ['recipe', 'itq', 'autoencoder'] as const;
export type CodeSpace = (typeof CODE_SPACES)[number];

/** How many Hamming neighbours ITQ re-scores with the float codes. */
export const ITQ_RERANK = 500;

interface Loaded {
  generation: number;
  itq?: (query: Float32Array, k: number, rerank?: number) => Array<{ id: number; score: number }>;
  autoencoder?: NonNullable<Awaited<ReturnType<typeof loadCollectionAutoencoder>>>;
}

const cache = new WeakMap<Collection, Loaded>();

async function loaded(collection: Collection, space: 'itq' | 'autoencoder'): Promise<Loaded> {
  const generation = await collection.store.generation();
  let entry = cache.get(collection);
  if (entry?.generation !== generation) {
    entry = { generation };
    cache.set(collection, entry);
  }
  if (space === 'itq' && !entry.itq) {
    const stored = await loadCollectionItq(collection);
    if (!stored) throw new SimiliError('NOT_FOUND', `Collection ${collection.dir} has no ITQ codes: run \`simili train itq\` first`);
    entry.itq = itqSearcher(stored, await collection.codes());
  }
  if (space === 'autoencoder' && !entry.autoencoder) {
    const stored = await loadCollectionAutoencoder(collection);
    if (!stored) throw new SimiliError('NOT_FOUND', `Collection ${collection.dir} has no autoencoder: run \`simili train autoencoder\` first`);
    entry.autoencoder = stored;
  }
  return entry;
}

export interface BinaryQuery {
  /** The query's float code in the collection's space (ITQ binarises it). */
  code: Float32Array;
  /** An image of the collection (its stored bits are used). */
  id?: number;
  /** The query's bytes (the autoencoder encodes the picture itself). */
  bytes?: Buffer;
}

/** Best `k` image ids in the chosen bit codes, never one of `exclude`. */
export async function binaryScored(
  collection: Collection, space: 'itq' | 'autoencoder', query: BinaryQuery, k: number, exclude: ReadonlySet<number>,
): Promise<Array<{ id: number; score: number }>> {
  const entry = await loaded(collection, space);
  const want = k + exclude.size;
  let scored: Array<{ id: number; score: number }>;
  if (space === 'itq') {
    // The top ITQ_RERANK by Hamming distance are re-scored with float codes; any further ones
    // (a long ranking, as evaluation asks for) follow in Hamming order.
    const top = entry.itq!(query.code, Math.min(want, ITQ_RERANK), ITQ_RERANK);
    const seen = new Set(top.map((t) => t.id));
    const rest = want > ITQ_RERANK ? entry.itq!(query.code, want, 0).filter((t) => !seen.has(t.id)) : [];
    scored = [...top, ...rest];
  }
  else {
    const stored = entry.autoencoder!;
    const row = query.id === undefined ? -1 : stored.codes.ids.indexOf(query.id);
    if (row >= 0) {
      const words = stored.codes.bits / 32;
      scored = hammingTopK(stored.codes.codes, words, stored.codes.codes.subarray(row * words, (row + 1) * words), want)
        .map((h) => ({ id: stored.codes.ids[h.index]!, score: 1 - (2 * h.distance) / stored.codes.bits }));
    } else {
      const bytes = query.bytes ?? (query.id !== undefined ? await collection.readImage((await collection.store.getImage(query.id))!.path) : undefined);
      if (!bytes) throw new SimiliError('INVALID_PARAMETER', 'The autoencoder needs the query image itself');
      scored = searchAutoencoder(stored, await decodeImage(bytes, { maxSide: 256 }), want);
    }
  }
  return scored.filter((s) => !exclude.has(s.id)).slice(0, k);
}

/** An evaluation ranker over bit codes, so `eval --encoder` measures exactly what search does. */
export function binaryRanker(collection: Collection, space: 'itq' | 'autoencoder'): (matrix: CodeMatrix) => Ranker {
  return (matrix) => {
    const rowOf = new Map<number, number>();
    matrix.ids.forEach((id, row) => rowOf.set(id, row));
    return async (code, excludeRow) => {
      const id = excludeRow === null ? undefined : matrix.ids[excludeRow];
      const scored = await binaryScored(collection, space, { code, ...(id !== undefined ? { id } : {}) }, matrix.ids.length, new Set(id !== undefined ? [id] : []));
      return scored.map((s) => rowOf.get(s.id)).filter((r): r is number => r !== undefined);
    };
  };
}
