/**
 * Thumbnails: small WebP previews made from the already-decoded image at index time and kept
 * with the collection (side data 'thumb-v1'), so result pages never read the originals
 * (which may be URLs, or gone).
 */
import sharp from 'sharp';
import type { RgbImage } from '../decode/decode.js';
import type { SideDataProducer } from '../indexing/side-data.js';

export const THUMBNAIL_KIND = 'thumb-v1';
/** Longest side: sharp enough for a results grid on a high-density screen, ~5-15 kB. */
export const THUMBNAIL_SIDE = 256;

export async function makeThumbnail(image: RgbImage, side = THUMBNAIL_SIDE): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(side, side, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 75, effort: 2 })
    .toBuffer();
}

export const thumbnailProducer: SideDataProducer = {
  kind: THUMBNAIL_KIND,
  // On unless switched off: previews are cheap (a few ms per image) and every page wants them.
  enabled: (settings) => settings.thumbnails !== false,
  async produce(images) {
    return Promise.all(images.map((img) => makeThumbnail(img).catch(() => null)));
  },
};
