/**
 * ITQ and a collection: learn the rotation from the collection's float codes, store the
 * model and the packed codes as catalogue blobs, and search them (Hamming top-R, then
 * float re-rank). The packed codes are rows aligned with the ids of `collection.codes()`
 * at training time; `searchItq` maps through the stored ids, so later additions are
 * simply not in the bit index until `trainCollectionItq` runs again.
 */
import type { Collection } from '../collection.js';
import { invalidParameter } from '../errors.js';
import type { CodeMatrix } from '../store/catalogue.js';
import { deserialiseCodes, serialiseCodes, type StoredCodes } from './autoencoder/collection-train.js';
import { hammingTopK } from './hamming.js';
import { binarise, binariseAll, deserialiseItq, serialiseItq, trainItq, type ItqModel, type ItqOptions } from './itq.js';

export const ITQ_MODEL_BLOB = 'binary.itq.model';
export const ITQ_CODES_BLOB = 'binary.itq.codes';

export async function trainCollectionItq(collection: Collection, options: ItqOptions): Promise<{ model: ItqModel; codes: StoredCodes }> {
  const matrix = await collection.codes();
  if (matrix.ids.length < 2) throw invalidParameter('collection', 'at least 2 indexed images', matrix.ids.length);
  const model = trainItq(matrix.data, matrix.dim, options);
  const codes: StoredCodes = { ids: Int32Array.from(matrix.ids), bits: model.bits, codes: binariseAll(model, matrix.data) };
  await collection.store.setBlob(ITQ_MODEL_BLOB, serialiseItq(model));
  await collection.store.setBlob(ITQ_CODES_BLOB, serialiseCodes(codes));
  return { model, codes };
}

export async function loadCollectionItq(collection: Collection): Promise<{ model: ItqModel; codes: StoredCodes } | null> {
  const [m, c] = await Promise.all([collection.store.getBlob(ITQ_MODEL_BLOB), collection.store.getBlob(ITQ_CODES_BLOB)]);
  if (!m || !c) return null;
  return { model: deserialiseItq(m), codes: deserialiseCodes(c) };
}

export interface ItqHit {
  /** Catalogue image id. */
  id: number;
  /** Cosine of the float codes when re-ranked, else 1 - 2 * hamming / bits. */
  score: number;
  distance: number;
}

/**
 * A searcher over the stored bits: Hamming scan, then (when `rerank` > 0) cosine re-rank of
 * the best `rerank` candidates with their float rows in `matrix` (looked up by id, so the
 * live matrix may have changed order since training). Build once, query many times.
 */
export function itqSearcher(
  stored: { model: ItqModel; codes: StoredCodes }, matrix: CodeMatrix,
): (query: Float32Array, k: number, rerank?: number) => ItqHit[] {
  const { model, codes } = stored;
  const words = model.bits / 32;
  const rowOf = new Map<number, number>();
  matrix.ids.forEach((id, row) => rowOf.set(id, row));
  const dim = matrix.dim;
  return (query, k, rerank = 500) => {
    const queryCode = binarise(model, query);
    const wanted = Math.max(k, rerank);
    const hits = hammingTopK(codes.codes, words, queryCode, wanted);
    const out: ItqHit[] = [];
    for (const h of hits) {
      const id = codes.ids[h.index]!;
      if (rerank <= 0) {
        out.push({ id, score: 1 - (2 * h.distance) / model.bits, distance: h.distance });
        continue;
      }
      const row = rowOf.get(id);
      if (row === undefined) continue; // removed since the bits were built
      let s = 0;
      for (let d = 0, o = row * dim; d < dim; d++) s += matrix.data[o + d]! * query[d]!;
      out.push({ id, score: s, distance: h.distance });
    }
    if (rerank > 0) out.sort((x, y) => y.score - x.score || x.distance - y.distance);
    return out.slice(0, k);
  };
}
