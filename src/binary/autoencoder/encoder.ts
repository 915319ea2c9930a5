/**
 * The trained autoencoder as a first-class `Encoder`. Its natural output is packed bits
 * (`encodeBits`) for the Hamming scan; `encodeBatch` gives the same code as a +-1/sqrt(b)
 * float vector, L2-normalised, so that cosine = 1 - 2 * hamming / b and any float search
 * path ranks exactly as the Hamming scan does.
 */
import { createHash } from 'node:crypto';
import type { RgbImage } from '../../decode/decode.js';
import type { Encoder } from '../../encode/encoder.js';
import { deserialiseAutoencoder, encodeThumbnails, type AutoencoderModel } from './model.js';
import { codeBits } from './network.js';
import { rgbToThumbnail } from './thumbnail.js';

/** The decoder may shrink images to this on load: plenty for a 64-pixel thumbnail. */
const MAX_SIDE = 256;

export class AutoencoderEncoder implements Encoder {
  readonly id: string;
  readonly dim: number;
  readonly description: string;
  readonly maxSide = MAX_SIDE;
  readonly model: AutoencoderModel;

  constructor(model: AutoencoderModel) {
    this.model = model;
    this.dim = codeBits(model.spec);
    // Weights decide what a code means, so they are part of the identity.
    const digest = createHash('sha256').update(new Uint8Array(model.params.buffer, model.params.byteOffset, model.params.byteLength)).digest('hex');
    this.id = `autoencoder-${model.spec.size}px-${this.dim}b-${digest.slice(0, 12)}`;
    const h = model.spec.hidden;
    this.description = `denoising conv autoencoder ${model.spec.size}x${model.spec.size} centre crop, channels ${h.join('/')}, ${this.dim}-bit code`;
  }

  static fromBuffer(buf: Buffer): AutoencoderEncoder {
    return new AutoencoderEncoder(deserialiseAutoencoder(buf));
  }

  /** Packed codes, bits/32 words per image, in input order. */
  encodeBits(images: RgbImage[]): Uint32Array {
    const s = this.model.spec.size;
    const thumbs = new Uint8Array(images.length * s * s * 3);
    images.forEach((img, i) => rgbToThumbnail(img, s, thumbs, i * s * s * 3));
    return encodeThumbnails(this.model, thumbs, images.length);
  }

  async encodeBatch(images: RgbImage[]): Promise<Float32Array[]> {
    const bits = this.encodeBits(images);
    const words = this.dim / 32;
    const v = 1 / Math.sqrt(this.dim);
    return images.map((_, i) => {
      const out = new Float32Array(this.dim);
      for (let j = 0; j < this.dim; j++) out[j] = (bits[i * words + (j >> 5)]! >>> (j & 31)) & 1 ? v : -v;
      return out;
    });
  }

  async close(): Promise<void> {}
}
