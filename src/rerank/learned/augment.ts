/**
 * Near-duplicates for the unsupervised easy positives: the same photo cropped (70-95 % of each
 * side, anywhere), maybe mirrored, with brightness/saturation/hue jitter, re-encoded as JPEG at
 * a random quality. What a person would still call "the same picture".
 */
import sharp from 'sharp';

export async function augmentImage(bytes: Buffer, random: () => number): Promise<Buffer> {
  const base = sharp(bytes, { autoOrient: true });
  const meta = await base.metadata();
  const w = meta.autoOrient?.width ?? meta.width ?? 0;
  const h = meta.autoOrient?.height ?? meta.height ?? 0;
  const fw = 0.7 + 0.25 * random();
  const fh = 0.7 + 0.25 * random();
  const cw = Math.max(1, Math.round(w * fw));
  const ch = Math.max(1, Math.round(h * fh));
  let img = sharp(bytes, { autoOrient: true }).extract({
    left: Math.floor(random() * (w - cw + 1)),
    top: Math.floor(random() * (h - ch + 1)),
    width: cw,
    height: ch,
  });
  if (random() < 0.5) img = img.flop();
  img = img.modulate({ brightness: 0.8 + 0.4 * random(), saturation: 0.7 + 0.6 * random(), hue: Math.round((random() - 0.5) * 20) });
  return img.jpeg({ quality: 60 + Math.floor(random() * 31) }).toBuffer();
}
