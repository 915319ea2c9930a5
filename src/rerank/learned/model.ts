/**
 * The learned similarity: an MLP over pair features of two codes, |a - b| and a * b (both
 * symmetric in a and b, so the score is too), stored with the collection as one blob.
 */
import { invalidParameter } from '../../errors.js';
import { Mlp, type MlpShape } from './mlp.js';

/** Blob name in the catalogue. */
export const SIMILARITY_BLOB = 'rerank-similarity-v1';

export interface SimilarityModelInfo {
  /** Encoder whose codes the model was trained on: a model is useless for another. */
  encoderId: string;
  dim: number;
  targets: 'unsupervised' | 'supervised';
  trainedAt: string;
  pairs: number;
  heldOutAccuracy: number;
  /** Classes used for training (supervised), so an evaluation can keep clear of them. */
  trainClasses?: string[];
}

export interface SimilarityModel {
  info: SimilarityModelInfo;
  net: Mlp;
}

export function pairFeatures(a: Float32Array, b: Float32Array, out: Float32Array = new Float32Array(a.length * 2)): Float32Array {
  if (a.length !== b.length) throw invalidParameter('b', `a code of ${a.length} dimensions`, b.length);
  const d = a.length;
  for (let i = 0; i < d; i++) {
    out[i] = Math.abs(a[i]! - b[i]!);
    // Scaled so both halves have similar magnitude for L2-normalised codes (entries ~ 1/sqrt(d)).
    out[d + i] = a[i]! * b[i]! * Math.sqrt(d);
  }
  return out;
}

export function scorePair(model: SimilarityModel, a: Float32Array, b: Float32Array): number {
  return model.net.predict(pairFeatures(a, b));
}

/** [4-byte header length][JSON header][float32 weights, layer by layer: w then b]. */
export function serializeModel(model: SimilarityModel): Buffer {
  const header = Buffer.from(JSON.stringify({ version: 1, info: model.info, shape: model.net.shape }), 'utf8');
  const arrays = model.net.layers.flatMap((l) => [l.w, l.b]);
  const floats = arrays.reduce((s, a) => s + a.length, 0);
  const buf = Buffer.alloc(4 + header.length + floats * 4);
  buf.writeUInt32LE(header.length, 0);
  header.copy(buf, 4);
  let off = 4 + header.length;
  for (const a of arrays) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(buf, off);
    off += a.byteLength;
  }
  return buf;
}

export function deserializeModel(buf: Buffer): SimilarityModel {
  const len = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + len).toString('utf8')) as { version: number; info: SimilarityModelInfo; shape: MlpShape };
  if (header.version !== 1) throw invalidParameter('model', 'a similarity model of version 1', header.version);
  const sizes = [header.shape.input, ...header.shape.hidden, 1];
  let off = 4 + len;
  const take = (n: number): Float32Array => {
    const a = new Float32Array(n);
    Buffer.from(a.buffer).set(buf.subarray(off, off + n * 4));
    off += n * 4;
    return a;
  };
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const w = take(sizes[l]! * sizes[l + 1]!);
    const b = take(sizes[l + 1]!);
    layers.push({ in: sizes[l]!, out: sizes[l + 1]!, w, b });
  }
  return { info: header.info, net: new Mlp(header.shape, layers) };
}
