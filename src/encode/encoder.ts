import type { RgbImage } from '../decode/decode.js';

/**
 * Anything that turns decoded images into fixed-length vectors.
 * `id` is recorded with every stored vector: two encoders with equal ids must produce
 * comparable vectors, and a collection never mixes ids.
 */
export interface Encoder {
  readonly id: string;
  readonly dim: number;
  /** One line for humans: model, input policy, pooling. */
  readonly description: string;
  /** Longest image side this encoder ever needs; the decoder may shrink to it on load. */
  readonly maxSide: number;
  /** Output vectors are L2-normalised. */
  encodeBatch(images: RgbImage[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}
