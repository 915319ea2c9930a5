/**
 * Side data made from each decoded image while indexing (thumbnails, small greyscale
 * copies for SSIM, predicted labels...), stored with the collection keyed by content hash,
 * so that later stages never decode the original again.
 *
 * A feature adds its producer to SIDE_DATA_PRODUCERS; the pipeline runs every enabled one
 * on each batch of decoded images and writes the results in the same transaction.
 */
import type { DecodedImage } from '../decode/decode.js';
import { greyProducer } from '../rerank/grey-producer.js';

/** Free-form per-collection switches (stored as JSON in the catalogue), e.g. { labels: true }. */
export type CollectionSettings = Record<string, unknown>;

export interface SideDataProducer {
  /** Storage key, unique per producer and format version, e.g. 'thumb-v1'. */
  kind: string;
  enabled(settings: CollectionSettings): boolean;
  /** One buffer per image, same order; null when the image yields none. */
  produce(images: readonly DecodedImage[]): Promise<Array<Buffer | null>>;
  /** Released when the run ends (e.g. an inference session). */
  close?(): Promise<void>;
}

export const SIDE_DATA_PRODUCERS: SideDataProducer[] = [greyProducer];
