/**
 * Registers this feature's side-data producers (thumbnails, labels) with the indexing
 * pipeline's registry; imported once by collection.ts.
 */
import { SIDE_DATA_PRODUCERS } from '../indexing/side-data.js';
import { labelProducer } from './labels.js';
import { thumbnailProducer } from './thumbnails.js';

for (const producer of [thumbnailProducer, labelProducer]) {
  if (!SIDE_DATA_PRODUCERS.some((p) => p.kind === producer.kind)) SIDE_DATA_PRODUCERS.push(producer);
}
