import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { ConvAutoencoder, type AutoencoderSpec } from '../src/binary/autoencoder/network.js';
import { trainAutoencoder } from '../src/binary/autoencoder/trainer.js';
import { serialiseAutoencoder, deserialiseAutoencoder, encodeThumbnails } from '../src/binary/autoencoder/model.js';
import { AutoencoderEncoder } from '../src/binary/autoencoder/encoder.js';
import { rgbToThumbnail } from '../src/binary/autoencoder/thumbnail.js';
import { writeSampleSheet } from '../src/binary/autoencoder/sample-sheet.js';
import { gemm, gemmNT } from '../src/binary/autoencoder/gemm.js';
import { hammingDistance } from '../src/binary/hamming.js';
import { seededRandom } from '../src/random.js';
import { tempDir } from './helpers/paths.js';

const TINY: AutoencoderSpec = { size: 16, hidden: [4, 6, 8], codeChannels: 32 };

/** Generated pictures: a coloured disc on a coloured background, 4 families. */
function generated(count: number, size: number, seed = 1): Uint8Array {
  const rnd = seededRandom(seed);
  const out = new Uint8Array(count * size * size * 3);
  for (let i = 0; i < count; i++) {
    const family = i % 4;
    const bg = [family & 1 ? 200 : 30, family & 2 ? 180 : 40, 90];
    const fg = [255 - bg[0]!, 255 - bg[1]!, 60 + 40 * family];
    const cx = size * (0.3 + 0.4 * rnd()), cy = size * (0.3 + 0.4 * rnd()), r = size * (0.15 + 0.15 * rnd());
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
        const c = inside ? fg : bg;
        for (let k = 0; k < 3; k++) out[((i * size + y) * size + x) * 3 + k] = Math.max(0, Math.min(255, c[k]! + Math.round((rnd() - 0.5) * 20)));
      }
    }
  }
  return out;
}

test('gemm and gemmNT equal naive products', () => {
  const rnd = seededRandom(2);
  for (const [m, k, n] of [[5, 7, 9], [8, 3, 1030], [1, 1, 1], [13, 33, 17]] as const) {
    const a = Float32Array.from({ length: m * k }, () => rnd() - 0.5);
    const b = Float32Array.from({ length: k * n }, () => rnd() - 0.5);
    const bt = Float32Array.from({ length: n * k }, (_, i) => b[(i % k) * n + Math.floor(i / k)]!);
    const c = new Float32Array(m * n), c2 = new Float32Array(m * n);
    gemm(a, b, c, m, k, n);
    gemmNT(a, bt, c2, m, k, n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
        assert.ok(Math.abs(c[i * n + j]! - s) < 1e-5);
        assert.ok(Math.abs(c2[i * n + j]! - s) < 1e-5);
      }
    }
  }
});

for (const straightThrough of [false, true]) {
  test(`conv / transposed-conv backward matches finite differences (${straightThrough ? 'straight-through code' : 'sigmoid code + penalty'})`, () => {
    const net = new ConvAutoencoder(TINY, undefined, 3);
    const batch = 2;
    const x = Float32Array.from({ length: 3 * batch * 16 * 16 }, (_, i) => (Math.sin(i * 1.7) + 1) / 2);
    const noisy = Float32Array.from(x, (v, i) => v + 0.1 * Math.cos(i));
    const penalty = straightThrough ? 0 : 0.3;
    net.lossAndGrad(noisy, x, batch, penalty, straightThrough);
    const analytic = Float32Array.from(net.grads);
    // With hard codes the loss is piecewise constant in the encoder weights, so only the
    // decoder's weights (after the code) have a finite-difference gradient to compare.
    const decoderStart = straightThrough ? firstDecoderParam(TINY) : 0;
    let worst = 0;
    for (let t = 0; t < 40; t++) {
      const i = decoderStart + ((t * 7919) % (net.params.length - decoderStart));
      const old = net.params[i]!;
      const h = 1e-2;
      net.params[i] = old + h;
      const lp = net.lossAndGrad(noisy, x, batch, penalty, straightThrough).loss;
      net.params[i] = old - h;
      const lm = net.lossAndGrad(noisy, x, batch, penalty, straightThrough).loss;
      net.params[i] = old;
      const numeric = (lp - lm) / (2 * h);
      const rel = Math.abs(numeric - analytic[i]!) / Math.max(1e-6, Math.abs(numeric) + Math.abs(analytic[i]!));
      worst = Math.max(worst, rel);
    }
    assert.ok(worst < 0.05, `worst relative error ${worst}`);
  });
}

function firstDecoderParam(spec: AutoencoderSpec): number {
  const ch = [3, ...spec.hidden, spec.codeChannels];
  let n = 0;
  for (let i = 0; i < 4; i++) n += ch[i]! * ch[i + 1]! * 9 + ch[i + 1]!;
  return n;
}

test('training reduces the reconstruction loss on generated images; model round-trips', async () => {
  const count = 64;
  const thumbs = generated(count, 16);
  const seen: number[] = [];
  const result = await trainAutoencoder(thumbs, count, {
    spec: TINY, epochs: 6, batchSize: 4, learningRate: 1e-2, heldOut: 0.25, patience: 6, threads: 2,
    onProgress: (p) => { if (p.epochStats) seen.push(p.epochStats.heldOutHardMse); },
  });
  assert.equal(result.history.length, seen.length);
  const first = result.history[0]!, best = Math.min(...result.history.map((h) => h.heldOutHardMse));
  assert.ok(best < first.heldOutHardMse * 0.98, `held-out MSE ${first.heldOutHardMse} -> ${best}`);
  assert.ok(result.history.at(-1)!.trainLoss < first.trainLoss, 'training loss decreased');

  const buf = serialiseAutoencoder(result.model);
  const back = deserialiseAutoencoder(Buffer.concat([Buffer.alloc(1), buf]).subarray(1));
  assert.deepEqual(back.spec, TINY);
  assert.deepEqual(encodeThumbnails(back, thumbs, count), encodeThumbnails(result.model, thumbs, count));
  assert.throws(() => deserialiseAutoencoder(Buffer.from('junk')), /serialiseAutoencoder/);

  // Same family -> closer codes on average than different families.
  const codes = encodeThumbnails(result.model, thumbs, count);
  assert.equal(codes.length, count);
  let same = 0, sameN = 0, diff = 0, diffN = 0;
  for (let i = 0; i < count; i++) for (let j = i + 1; j < count; j++) {
    const d = hammingDistance(codes, i, codes, j, 1);
    if (i % 4 === j % 4) { same += d; sameN++; } else { diff += d; diffN++; }
  }
  assert.ok(same / sameN <= diff / diffN, `same ${same / sameN} vs different ${diff / diffN}`);

  const dir = tempDir();
  const file = path.join(dir, 'sheet.png');
  await writeSampleSheet(file, result.model, thumbs, [0, 1, 2, 3], { kind: 'gaussian', level: 0.1 });
  assert.deepEqual([...readFileSync(file).subarray(1, 4)], [0x50, 0x4e, 0x47]);
});

test('AutoencoderEncoder: Encoder contract, codes as +-1/sqrt(b), cosine follows Hamming', async () => {
  const net = new ConvAutoencoder(TINY, undefined, 5);
  const encoder = new AutoencoderEncoder({ spec: TINY, params: net.params });
  assert.equal(encoder.dim, 32);
  assert.match(encoder.id, /^autoencoder-16px-32b-[0-9a-f]{12}$/);
  const images = [0, 1, 2].map((s) => {
    const rnd = seededRandom(s + 10);
    return { data: Buffer.from(Array.from({ length: 40 * 30 * 3 }, () => Math.floor(rnd() * 256))), width: 40, height: 30 };
  });
  const bits = encoder.encodeBits(images);
  const floats = await encoder.encodeBatch(images);
  for (const v of floats) assert.ok(Math.abs(v.reduce((s, x) => s + x * x, 0) - 1) < 1e-5);
  const cos = floats[0]!.reduce((s, x, j) => s + x * floats[1]![j]!, 0);
  assert.ok(Math.abs(cos - (1 - (2 * hammingDistance(bits, 0, bits, 1, 1)) / 32)) < 1e-5);
  await encoder.close();
});

test('rgbToThumbnail: centre crop and box filter', () => {
  // 4x2 image: left square black, right square... centre crop takes the middle 2x2.
  const data = Buffer.from([
    0, 0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30,
    0, 0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30,
  ]);
  assert.deepEqual([...rgbToThumbnail({ data, width: 4, height: 2 }, 1)], [15, 15, 15]);
  assert.deepEqual([...rgbToThumbnail({ data, width: 4, height: 2 }, 2)], [10, 10, 10, 20, 20, 20, 10, 10, 10, 20, 20, 20]);
});

test('stored codes blob round trip (unaligned buffer) and validation', async () => {
  const { serialiseCodes, deserialiseCodes } = await import('../src/binary/autoencoder/collection-train.js');
  const stored = { ids: Int32Array.from([5, 9, 42]), bits: 64, codes: Uint32Array.from([1, 2, 3, 4, 0xffffffff, 6]) };
  const buf = Buffer.concat([Buffer.alloc(3), serialiseCodes(stored)]).subarray(3);
  const back = deserialiseCodes(buf);
  assert.deepEqual(back, stored);
  assert.throws(() => deserialiseCodes(buf.subarray(0, buf.length - 1)), /serialiseCodes/);
  assert.throws(() => serialiseCodes({ ...stored, bits: 32 }), /words/);
});
