/**
 * The autoencoder and a collection: thumbnails of its indexed images, training, and the
 * model + packed codes stored as catalogue blobs so `search --encoder autoencoder` can
 * scan them without re-encoding the collection.
 */
import type { Collection } from '../../collection.js';
import { decodeImage, type RgbImage } from '../../decode/decode.js';
import { errorMessage, invalidParameter } from '../../errors.js';
import { encodeThumbnails, serialiseAutoencoder, deserialiseAutoencoder, type AutoencoderModel } from './model.js';
import { codeBits, DEFAULT_SPEC, type AutoencoderSpec } from './network.js';
import { hammingTopK } from '../hamming.js';
import { rgbToThumbnail } from './thumbnail.js';
import { trainAutoencoder, type TrainOptions, type TrainResult } from './trainer.js';

export const AUTOENCODER_MODEL_BLOB = 'binary.autoencoder.model';
export const AUTOENCODER_CODES_BLOB = 'binary.autoencoder.codes';

export interface CollectionThumbnails {
  /** Catalogue image ids, aligned with the thumbnails. */
  ids: Int32Array;
  paths: string[];
  /** [N][S][S][3] bytes. */
  thumbs: Uint8Array;
  /** Images that could not be read or decoded now (skipped). */
  failed: Array<{ path: string; error: string }>;
}

/** Decode every indexed image (shrunk on load) into an S x S centre-crop thumbnail. */
export async function collectionThumbnails(
  collection: Collection, size: number, onProgress?: (done: number, total: number) => void,
): Promise<CollectionThumbnails> {
  const records = await collection.images({ status: 'indexed' });
  const bytes = size * size * 3;
  const thumbs = new Uint8Array(records.length * bytes);
  const ids: number[] = [];
  const paths: string[] = [];
  const failed: CollectionThumbnails['failed'] = [];
  for (const [i, r] of records.entries()) {
    try {
      const image = await decodeImage(await collection.readImage(r.path), { maxSide: Math.max(size * 4, 256) });
      rgbToThumbnail(image, size, thumbs, ids.length * bytes);
      ids.push(r.id);
      paths.push(r.path);
    } catch (err) {
      failed.push({ path: r.path, error: errorMessage(err) });
    }
    onProgress?.(i + 1, records.length);
  }
  return { ids: Int32Array.from(ids), paths, thumbs: thumbs.slice(0, ids.length * bytes), failed };
}

export interface StoredCodes {
  ids: Int32Array;
  bits: number;
  /** bits/32 words per image, rows aligned with ids. */
  codes: Uint32Array;
}

/** Layout: u32 count, u32 bits, count x i32 ids, count x bits/32 x u32 words (little-endian). */
export function serialiseCodes(stored: StoredCodes): Buffer {
  const n = stored.ids.length, words = stored.bits / 32;
  if (stored.codes.length !== n * words) throw invalidParameter('codes', `${n * words} words`, stored.codes.length);
  const buf = Buffer.alloc(8 + 4 * n + 4 * n * words);
  buf.writeUInt32LE(n, 0);
  buf.writeUInt32LE(stored.bits, 4);
  Buffer.from(stored.ids.buffer, stored.ids.byteOffset, stored.ids.byteLength).copy(buf, 8);
  Buffer.from(stored.codes.buffer, stored.codes.byteOffset, stored.codes.byteLength).copy(buf, 8 + 4 * n);
  return buf;
}

export function deserialiseCodes(buf: Buffer): StoredCodes {
  if (buf.length < 8) throw invalidParameter('stored codes', 'bytes written by serialiseCodes', buf);
  const n = buf.readUInt32LE(0), bits = buf.readUInt32LE(4), words = bits / 32;
  if (!Number.isInteger(words) || buf.length !== 8 + 4 * n + 4 * n * words) {
    throw invalidParameter('stored codes', 'bytes written by serialiseCodes', buf);
  }
  // Copies: a Buffer from SQLite may sit at an offset that is not 4-byte aligned.
  const ids = new Int32Array(n);
  Buffer.from(ids.buffer).set(buf.subarray(8, 8 + 4 * n));
  const codes = new Uint32Array(n * words);
  Buffer.from(codes.buffer).set(buf.subarray(8 + 4 * n));
  return { ids, bits, codes };
}

export interface CollectionTrainOptions extends Omit<TrainOptions, 'spec'> {
  spec?: AutoencoderSpec;
  onStage?: (message: string) => void;
  onThumbnail?: (done: number, total: number) => void;
}

export interface CollectionTrainResult extends TrainResult {
  thumbnails: CollectionThumbnails;
  codes: StoredCodes;
}

/** Train on the collection's images, encode them all, and store model + codes with the collection. */
export async function trainCollectionAutoencoder(collection: Collection, options: CollectionTrainOptions = {}): Promise<CollectionTrainResult> {
  const spec = options.spec ?? DEFAULT_SPEC;
  options.onStage?.(`reading ${spec.size}x${spec.size} thumbnails of the indexed images`);
  const thumbnails = await collectionThumbnails(collection, spec.size, options.onThumbnail);
  const count = thumbnails.ids.length;
  if (count < 10) throw invalidParameter('collection', 'at least 10 readable indexed images to train on', count);
  options.onStage?.(`training on ${count} images`);
  const result = await trainAutoencoder(thumbnails.thumbs, count, { ...options, spec });
  const codes: StoredCodes = { ids: thumbnails.ids, bits: codeBits(spec), codes: encodeThumbnails(result.model, thumbnails.thumbs, count) };
  await collection.store.setBlob(AUTOENCODER_MODEL_BLOB, serialiseAutoencoder(result.model));
  await collection.store.setBlob(AUTOENCODER_CODES_BLOB, serialiseCodes(codes));
  return { ...result, thumbnails, codes };
}

/** The stored model and codes, or null when `train autoencoder` has not run on this collection. */
export async function loadCollectionAutoencoder(collection: Collection): Promise<{ model: AutoencoderModel; codes: StoredCodes } | null> {
  const [m, c] = await Promise.all([collection.store.getBlob(AUTOENCODER_MODEL_BLOB), collection.store.getBlob(AUTOENCODER_CODES_BLOB)]);
  if (!m || !c) return null;
  return { model: deserialiseAutoencoder(m), codes: deserialiseCodes(c) };
}

export interface AutoencoderHit {
  /** Catalogue image id. */
  id: number;
  distance: number;
  /** 1 - 2 * hamming / bits: 1 for identical codes, -1 for complementary ones. */
  score: number;
}

/**
 * `search --encoder autoencoder`: encode the query picture with the stored model and scan
 * the stored codes. For millions of codes use a `HammingPool` over the same words instead.
 */
export function searchAutoencoder(stored: { model: AutoencoderModel; codes: StoredCodes }, query: RgbImage, k: number): AutoencoderHit[] {
  const { model, codes } = stored;
  const s = model.spec.size;
  const queryCode = encodeThumbnails(model, rgbToThumbnail(query, s), 1);
  return hammingTopK(codes.codes, codes.bits / 32, queryCode, Math.min(k, Math.max(1, codes.ids.length)))
    .map((h) => ({ id: codes.ids[h.index]!, distance: h.distance, score: 1 - (2 * h.distance) / codes.bits }));
}
