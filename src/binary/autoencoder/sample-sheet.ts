/**
 * A picture of what the autoencoder learned: one column per image, rows original /
 * noisy input / reconstruction from the 0/1 code, written as PNG by sharp.
 */
import sharp from 'sharp';
import { integerInRange } from '../../validate.js';
import { seededRandom } from '../../random.js';
import { hardenCode, type AutoencoderModel } from './model.js';
import { ConvAutoencoder } from './network.js';
import { corrupt, type NoiseOptions } from './noise.js';
import { tensorImageToRgb, thumbnailsToTensor } from './thumbnail.js';

export interface SampleSheet {
  /** Interleaved RGB, `width` x `height`. */
  data: Buffer;
  width: number;
  height: number;
}

export function sampleSheet(model: AutoencoderModel, thumbs: Uint8Array, indices: number[], noise: NoiseOptions, seed = 1): SampleSheet {
  const s = model.spec.size;
  const batch = indices.length;
  integerInRange('indices.length', batch, 1, 256);
  const net = new ConvAutoencoder(model.spec, model.params);
  const clean = thumbnailsToTensor(thumbs, s, indices);
  const noisy = corrupt(clean, batch, s, noise, seededRandom(seed));
  const recon = net.decode(hardenCode(net.encode(noisy, batch)), batch);
  const rows = [clean, noisy, recon];
  const width = batch * s, height = rows.length * s;
  const data = Buffer.alloc(width * height * 3);
  rows.forEach((tensor, r) => {
    for (let b = 0; b < batch; b++) {
      const rgb = tensorImageToRgb(tensor, s, batch, b);
      for (let y = 0; y < s; y++) {
        Buffer.from(rgb.buffer, y * s * 3, s * 3).copy(data, ((r * s + y) * width + b * s) * 3);
      }
    }
  });
  return { data, width, height };
}

/** Write the sheet as PNG, scaled up (nearest) so 64-pixel thumbnails are easy to see. */
export async function writeSampleSheet(
  file: string, model: AutoencoderModel, thumbs: Uint8Array, indices: number[], noise: NoiseOptions, scale = 2,
): Promise<void> {
  const sheet = sampleSheet(model, thumbs, indices, noise);
  await sharp(sheet.data, { raw: { width: sheet.width, height: sheet.height, channels: 3 } })
    .resize(sheet.width * scale, sheet.height * scale, { kernel: 'nearest' })
    .png()
    .toFile(file);
}
