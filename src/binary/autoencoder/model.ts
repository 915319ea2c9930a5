/**
 * A trained autoencoder as data: its architecture, its weights and a note of how it was
 * trained; serialised to one Buffer that the collection stores. Encoding = sign of the
 * sigmoid code at 0.5, packed 32 bits a word for the Hamming scan.
 */
import { invalidParameter } from '../../errors.js';
import { integerInRange } from '../../validate.js';
import { ConvAutoencoder, codeBits, validateSpec, type AutoencoderSpec } from './network.js';
import { thumbnailsToTensor } from './thumbnail.js';

export interface TrainingNote {
  epochs: number;
  bestEpoch: number;
  trainLoss: number;
  heldOutMse: number;
  heldOutHardMse: number;
  noise: string;
  images: number;
  secondsPerEpoch: number;
}

export interface AutoencoderModel {
  spec: AutoencoderSpec;
  params: Float32Array;
  training?: TrainingNote;
}

/** Batch size used for inference; bounded so activations stay a few MB. */
const ENCODE_BATCH = 32;

/**
 * Packed codes of `count` thumbnails ([N][S][S][3] bytes, S = spec.size):
 * bits per code = codeBits(spec), code i at words [i * bits/32, (i + 1) * bits/32).
 */
export function encodeThumbnails(model: AutoencoderModel, thumbs: Uint8Array, count: number): Uint32Array {
  const { spec } = model;
  const s = spec.size;
  if (thumbs.length !== count * s * s * 3) throw invalidParameter('thumbs', `${count} thumbnails of ${s}x${s}x3`, thumbs.length);
  const net = new ConvAutoencoder(spec, model.params);
  const bits = codeBits(spec);
  const words = bits / 32;
  const out = new Uint32Array(count * words);
  for (let start = 0; start < count; start += ENCODE_BATCH) {
    const batch = Math.min(ENCODE_BATCH, count - start);
    const idx = Array.from({ length: batch }, (_, i) => start + i);
    const code = net.encode(thumbnailsToTensor(thumbs, s, idx), batch);
    packCodeTensor(code, spec, batch, out, start * words);
  }
  return out;
}

/**
 * Code tensor [C][B][h][w] -> packed bits per image; bit j of an image is unit
 * (c, y, x) with j = (c * h + y) * w + x, set when the sigmoid output is >= 0.5.
 */
export function packCodeTensor(code: Float32Array, spec: AutoencoderSpec, batch: number, out: Uint32Array, offset: number): void {
  const cells = (spec.size / 16) ** 2;
  const bits = spec.codeChannels * cells;
  const words = bits / 32;
  out.fill(0, offset, offset + batch * words);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < spec.codeChannels; c++) {
      for (let i = 0; i < cells; i++) {
        if (code[(c * batch + b) * cells + i]! >= 0.5) {
          const j = c * cells + i;
          const w = offset + b * words + (j >> 5);
          out[w] = (out[w]! | (1 << (j & 31))) >>> 0;
        }
      }
    }
  }
}

/** Hard 0/1 version of a sigmoid code tensor (what the stored bits mean). */
export function hardenCode(code: Float32Array): Float32Array {
  return Float32Array.from(code, (c) => (c >= 0.5 ? 1 : 0));
}

const MAGIC = 0x45414453; // 'SDAE' little-endian
const VERSION = 1;

/** Layout: magic, version, JSON length (u32 each), JSON {spec, training}, pad to 4, float32 weights. */
export function serialiseAutoencoder(model: AutoencoderModel): Buffer {
  const json = Buffer.from(JSON.stringify({ spec: model.spec, training: model.training ?? null, weights: model.params.length }));
  const head = 12 + json.length;
  const padded = head + ((4 - (head % 4)) % 4);
  const buf = Buffer.alloc(padded + model.params.length * 4);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(VERSION, 4);
  buf.writeUInt32LE(json.length, 8);
  json.copy(buf, 12);
  Buffer.from(model.params.buffer, model.params.byteOffset, model.params.byteLength).copy(buf, padded);
  return buf;
}

export function deserialiseAutoencoder(buf: Buffer): AutoencoderModel {
  if (buf.length < 12 || buf.readUInt32LE(0) !== MAGIC) throw invalidParameter('autoencoder model', 'bytes written by serialiseAutoencoder', buf);
  integerInRange('autoencoder model version', buf.readUInt32LE(4), VERSION, VERSION);
  const jsonLength = buf.readUInt32LE(8);
  const meta = JSON.parse(buf.subarray(12, 12 + jsonLength).toString('utf8')) as {
    spec: AutoencoderSpec;
    training: TrainingNote | null;
    weights: number;
  };
  const head = 12 + jsonLength;
  const padded = head + ((4 - (head % 4)) % 4);
  if (buf.length !== padded + meta.weights * 4) throw invalidParameter('autoencoder model', `${padded + meta.weights * 4} bytes`, buf.length);
  const params = new Float32Array(meta.weights);
  // Copy through a fresh aligned buffer: `buf` may sit at any offset of a pooled allocation.
  Buffer.from(params.buffer).set(buf.subarray(padded));
  const spec = validateSpec(meta.spec);
  new ConvAutoencoder(spec, params); // checks the weight count matches the architecture
  return { spec, params, ...(meta.training ? { training: meta.training } : {}) };
}
