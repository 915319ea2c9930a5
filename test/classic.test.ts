import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { createClassicEncoder, CLASSIC_DIM } from '../src/encode/classic.js';
import { presetRecipe, recipeEncoderId } from '../src/encode/recipe.js';
import { decodeImage, type RgbImage } from '../src/decode/decode.js';
import { tempDir } from './helpers/paths.js';

/** A small outdoor-like scene: sky, sun, striped field, a tree. */
function sceneSvg(width: number, height: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 300 200">
    <rect width="300" height="110" fill="#3a7bd5"/>
    <circle cx="240" cy="45" r="25" fill="#ffd23f"/>
    <rect y="110" width="300" height="90" fill="#2e8b57"/>
    ${Array.from({ length: 9 }, (_, i) => `<rect x="${i * 34}" y="110" width="12" height="90" fill="#7cbf3f"/>`).join('')}
    <rect x="60" y="60" width="14" height="60" fill="#6b4226"/>
    <circle cx="67" cy="55" r="30" fill="#1f6e2e"/>
  </svg>`;
}

async function raw(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}

function norm(v: Float32Array): number {
  return Math.sqrt(cosine(v, v));
}

/** Stripes of two colours, horizontal or vertical, period `period` px. */
function stripes(width: number, height: number, period: number, vertical: boolean): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const on = Math.floor((vertical ? x : y) / (period / 2)) % 2 === 0;
      data.set(on ? [200, 60, 40] : [240, 220, 180], (y * width + x) * 3);
    }
  }
  return { data, width, height };
}

describe('classic encoder', () => {
  const encoder = createClassicEncoder();

  test('identity follows the classic preset and vectors have the announced dimension', async () => {
    assert.equal(encoder.id, recipeEncoderId(presetRecipe('classic')));
    assert.ok(encoder.maxSide >= presetRecipe('classic').input.size);
    const [v] = await encoder.encodeBatch([await raw(sharp(Buffer.from(sceneSvg(300, 200))))]);
    assert.equal(v.length, encoder.dim);
    assert.equal(encoder.dim, CLASSIC_DIM);
  });

  test('the same picture through a file round trip gives cosine 1', async () => {
    // Smaller than maxSide, so the decoder hands back exactly these pixels.
    const scene = await raw(sharp(Buffer.from(sceneSvg(240, 160))));
    const file = path.join(tempDir('simili-classic-'), 'scene.png');
    await sharp(scene.data, { raw: { width: scene.width, height: scene.height, channels: 3 } }).png().toFile(file);
    const decoded = await decodeImage(file, { maxSide: encoder.maxSide });
    assert.deepEqual([decoded.width, decoded.height], [240, 160]);
    const [a, b] = await encoder.encodeBatch([scene, decoded]);
    assert.ok(Math.abs(cosine(a, b) - 1) < 1e-5, `cosine ${cosine(a, b)}`);
  });

  test('resized copies stay closer than a recoloured one', async () => {
    const svg = Buffer.from(sceneSvg(300, 200));
    const original = await raw(sharp(svg));
    const resized = await raw(sharp(svg).resize(270, 180));
    // Rendered at twice the size: the encoder brings both to the same working size.
    const doubled = await raw(sharp(Buffer.from(sceneSvg(600, 400))));
    const recoloured = await raw(sharp(svg).modulate({ hue: 150 }));
    const [o, r, d, c] = await encoder.encodeBatch([original, resized, doubled, recoloured]);
    const far = cosine(o, c);
    for (const [what, near] of [['resized', cosine(o, r)], ['doubled', cosine(o, d)]] as const) {
      assert.ok(near > far, `${what} ${near} should beat recoloured ${far}`);
      assert.ok(near > 0.9, `${what} copy cosine ${near}`);
    }
  });

  test('edge orientation matters: horizontal and vertical stripes differ, a crop of either does not', async () => {
    const horizontal = stripes(192, 128, 16, false);
    const vertical = stripes(192, 128, 16, true);
    const horizontalCrop = await raw(sharp(horizontal.data, { raw: { width: 192, height: 128, channels: 3 } }).extract({ left: 10, top: 3, width: 170, height: 120 }));
    const [h, v, hc] = await encoder.encodeBatch([horizontal, vertical, horizontalCrop]);
    assert.ok(cosine(h, hc) > cosine(h, v) + 0.1, `crop ${cosine(h, hc)} vs rotated ${cosine(h, v)}`);
  });

  test('vectors are finite and L2-normalised, even for uniform and tiny images', async () => {
    const uniform = (width: number, height: number, value: number): RgbImage => ({
      data: Buffer.alloc(width * height * 3, value),
      width,
      height,
    });
    const inputs = [uniform(256, 256, 0), uniform(200, 100, 255), uniform(1, 1, 128), uniform(1000, 3, 40), stripes(7, 5, 2, true)];
    const vectors = await encoder.encodeBatch(inputs);
    assert.equal(vectors.length, inputs.length);
    for (const v of vectors) {
      assert.ok(v.every(Number.isFinite), 'finite');
      assert.ok(Math.abs(norm(v) - 1) < 1e-5, `norm ${norm(v)}`);
    }
    // Black and white must not collapse onto one vector.
    assert.ok(cosine(vectors[0], vectors[1]) < 0.99);
  });

  test('encodeBatch keeps order and does not depend on batch composition', async () => {
    const a = stripes(120, 90, 10, false);
    const b = await raw(sharp(Buffer.from(sceneSvg(150, 100))));
    const [alone] = await encoder.encodeBatch([b]);
    const [first, second] = await encoder.encodeBatch([a, b]);
    assert.deepEqual(second, alone);
    assert.ok(cosine(first, second) < 0.99);
    assert.deepEqual(await encoder.encodeBatch([]), []);
  });

  test('rejects things that are not RGB images', async () => {
    await assert.rejects(encoder.encodeBatch('x' as unknown as RgbImage[]), { code: 'INVALID_PARAMETER' });
    await assert.rejects(encoder.encodeBatch([{ data: Buffer.alloc(10), width: 4, height: 4 }]), { code: 'INVALID_PARAMETER' });
  });
});
