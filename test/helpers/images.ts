import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../../src/random.js';

/** Seeded generator for test data (the library's own). */
export const rng = seededRandom;


/** A small photo-like image: a colour gradient with a few blocks, different for every seed. */
export async function makeImage(seed: number, width = 96, height = 72): Promise<Buffer> {
  const rand = seededRandom(seed + 1);
  const data = Buffer.alloc(width * height * 3);
  const base = [rand() * 255, rand() * 255, rand() * 255];
  const blocks = Array.from({ length: 4 }, () => ({
    x: rand() * width, y: rand() * height, r: 8 + rand() * 20, c: [rand() * 255, rand() * 255, rand() * 255],
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      let c = base.map((b, i) => b * (0.5 + 0.5 * (i === 0 ? x / width : y / height)));
      for (const b of blocks) if (Math.abs(x - b.x) < b.r && Math.abs(y - b.y) < b.r) c = b.c;
      data[o] = c[0]!;
      data[o + 1] = c[1]!;
      data[o + 2] = c[2]!;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

/** Writes `count` distinct JPEGs under dir/<class>/NN.jpg, `perClass` per class folder. */
export async function writeImageFolder(dir: string, count: number, perClass = count): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const cls = path.join(dir, `class${Math.floor(i / perClass)}`);
    mkdirSync(cls, { recursive: true });
    const file = path.join(cls, `${String(i).padStart(3, '0')}.jpg`);
    writeFileSync(file, await makeImage(i));
    files.push(file);
  }
  return files;
}
