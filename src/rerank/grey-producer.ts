/**
 * Index-time side data for SSIM re-ranking: one GREY_SIDE^2 luminance copy per image, so that
 * re-ranking 100 candidates reads 1.6 MB from the catalogue instead of decoding 100 files.
 * On by default; a collection can switch it off with the setting { grey: false }.
 */
import type { SideDataProducer } from '../indexing/side-data.js';
import { GREY_KIND, greyThumbnail, greyToBuffer } from './grey.js';

export const greyProducer: SideDataProducer = {
  kind: GREY_KIND,
  enabled: (settings) => settings.grey !== false,
  async produce(images) {
    const out: Array<Buffer | null> = [];
    for (const img of images) {
      try {
        out.push(greyToBuffer(await greyThumbnail(img)));
      } catch {
        // One odd image must not cost the batch its greys; SSIM falls back to decoding it.
        out.push(null);
      }
    }
    return out;
  },
};
