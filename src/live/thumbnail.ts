/**
 * Thumbnails for display: the one made at index time, else made now from the original
 * (images indexed before thumbnails existed) and cached with the collection.
 */
import { decodeImage } from '../decode/decode.js';
import type { Collection } from '../collection.js';
import { makeThumbnail, THUMBNAIL_KIND, THUMBNAIL_SIDE } from '../categories/thumbnails.js';
import { integerInRange } from '../validate.js';

export async function thumbnailOf(collection: Collection, id: number): Promise<Buffer | null> {
  integerInRange('id', id, 1, Number.MAX_SAFE_INTEGER);
  const image = await collection.store.getImage(id);
  if (!image?.hash || image.status !== 'indexed') return null;
  const cached = (await collection.store.getImageData(THUMBNAIL_KIND, [image.hash])).get(image.hash);
  if (cached) return cached;
  try {
    const decoded = await decodeImage(await collection.readImage(image.path), { maxSide: THUMBNAIL_SIDE * 2 });
    const thumb = await makeThumbnail(decoded);
    await collection.store.putImageData(THUMBNAIL_KIND, [{ hash: image.hash, data: thumb }]);
    return thumb;
  } catch {
    // The original is gone or unreachable (an offline URL): no preview, not an error.
    return null;
  }
}
