/**
 * Training loop: Adam on mini-batches of corrupted thumbnails, data-parallel over
 * worker_threads (the main thread computes one shard itself), a held-out split scored
 * each epoch by the reconstruction from the *binarised* code, early stopping on it, and
 * the best epoch's weights returned.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { invalidParameter } from '../../errors.js';
import { integerInRange, numberInRange, oneOf } from '../../validate.js';
import { seededRandom } from '../../random.js';
import { startModuleWorker } from '../worker-start.js';
import { Adam } from './adam.js';
import { hardenCode, type AutoencoderModel } from './model.js';
import { ConvAutoencoder, DEFAULT_SPEC, validateSpec, type AutoencoderSpec, type LossParts } from './network.js';
import { corrupt, type NoiseOptions } from './noise.js';
import { thumbnailsToTensor } from './thumbnail.js';

export interface TrainOptions {
  spec?: AutoencoderSpec;
  /** Most epochs to run (early stopping may end sooner). */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  noise?: NoiseOptions;
  /**
   * How the code is made binary while training: 'straight-through' (default) decodes the
   * hard 0/1 code and passes its gradient through the sigmoid; 'penalty' decodes the
   * sigmoid code and relies on the penalty alone.
   */
  binarise?: 'straight-through' | 'penalty';
  /** Weight of the binarisation penalty mean(c(1 - c)) on the code layer. */
  penalty?: number;
  /** Fraction of images held out for early stopping (0 = none, train loss decides). */
  heldOut?: number;
  /** Epochs without held-out improvement before stopping. */
  patience?: number;
  seed?: number;
  /** Threads computing gradients (main thread included). */
  threads?: number;
  onProgress?: (progress: TrainProgress) => void;
  signal?: AbortSignal;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Running mean of the training objective in this epoch. */
  trainLoss: number;
  /** Set on the last step of an epoch. */
  epochStats?: EpochStats;
}

export interface EpochStats {
  epoch: number;
  trainLoss: number;
  trainMse: number;
  binariness: number;
  /** Held-out reconstruction MSE through the sigmoid code. */
  heldOutMse: number;
  /** Held-out reconstruction MSE through the 0/1 code (what the stored bits can express). */
  heldOutHardMse: number;
  seconds: number;
}

export interface TrainResult {
  model: AutoencoderModel;
  history: EpochStats[];
  stoppedEarly: boolean;
}

interface ShardReply {
  grads?: Float32Array;
  parts?: LossParts;
  error?: string;
}

/**
 * Train on `count` thumbnails packed as [N][S][S][3] bytes (see `rgbToThumbnail`).
 */
export async function trainAutoencoder(thumbs: Uint8Array, count: number, options: TrainOptions = {}): Promise<TrainResult> {
  const spec = validateSpec(options.spec ?? DEFAULT_SPEC);
  const size = spec.size;
  integerInRange('count', count, 2, 100_000_000);
  if (thumbs.length !== count * size * size * 3) throw invalidParameter('thumbs', `${count} thumbnails of ${size}x${size}x3`, thumbs.length);
  const epochs = integerInRange('epochs', options.epochs ?? 30, 1, 10_000);
  const batchSize = integerInRange('batchSize', options.batchSize ?? 32, 1, 4096);
  const lr = numberInRange('learningRate', options.learningRate ?? 5e-3, 1e-7, 1);
  const noise: NoiseOptions = options.noise ?? { kind: 'gaussian', level: 0.1 };
  oneOf('noise.kind', noise.kind, ['gaussian', 'mask'] as const);
  numberInRange('noise.level', noise.level, 0, 1);
  const straightThrough = oneOf('binarise', options.binarise ?? 'straight-through', ['straight-through', 'penalty'] as const) === 'straight-through';
  const penalty = numberInRange('penalty', options.penalty ?? (straightThrough ? 0 : 0.01), 0, 100);
  const heldOutFraction = numberInRange('heldOut', options.heldOut ?? 0.1, 0, 0.9);
  const patience = integerInRange('patience', options.patience ?? 3, 1, 1000);
  const threads = integerInRange('threads', options.threads ?? Math.min(2, os.availableParallelism()), 1, 64);
  const random = seededRandom(options.seed ?? 1);

  const order = shuffle(Array.from({ length: count }, (_, i) => i), random);
  const nHeld = heldOutFraction > 0 ? Math.max(1, Math.round(count * heldOutFraction)) : 0;
  const held = order.slice(count - nHeld);
  const train = order.slice(0, count - nHeld);
  if (train.length === 0) throw invalidParameter('heldOut', 'a fraction leaving images to train on', heldOutFraction);

  const net = new ConvAutoencoder(spec, undefined, options.seed ?? 1);
  net.initialiseOutputBias(channelMeans(thumbs, train, size));
  const adam = new Adam(net.params.length, lr);
  const workers = Array.from({ length: threads - 1 }, () => startModuleWorker('autoencoder/train-worker', { spec }));
  const history: EpochStats[] = [];
  let best = { score: Infinity, params: Float32Array.from(net.params), epoch: 0 };
  let stoppedEarly = false;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const started = performance.now();
      shuffle(train, random);
      const steps = Math.ceil(train.length / batchSize);
      let sumLoss = 0, sumMse = 0, sumBin = 0, seen = 0;
      for (let step = 0; step < steps; step++) {
        if (options.signal?.aborted) throw options.signal.reason ?? new Error('training aborted');
        const idx = train.slice(step * batchSize, (step + 1) * batchSize);
        const parts = await batchGradient(net, workers, thumbs, size, idx, noise, penalty, straightThrough, random);
        adam.step(net.params, net.grads);
        sumLoss += parts.loss * idx.length;
        sumMse += parts.mse * idx.length;
        sumBin += parts.binariness * idx.length;
        seen += idx.length;
        if (step < steps - 1) options.onProgress?.({ epoch, epochs, step: step + 1, steps, trainLoss: sumLoss / seen });
      }
      const evaluation = nHeld > 0 ? evaluateHeldOut(net, thumbs, size, held) : { mse: sumMse / seen, hardMse: NaN };
      const stats: EpochStats = {
        epoch,
        trainLoss: sumLoss / seen,
        trainMse: sumMse / seen,
        binariness: sumBin / seen,
        heldOutMse: evaluation.mse,
        heldOutHardMse: evaluation.hardMse,
        seconds: (performance.now() - started) / 1000,
      };
      history.push(stats);
      options.onProgress?.({ epoch, epochs, step: steps, steps, trainLoss: stats.trainLoss, epochStats: stats });
      const score = nHeld > 0 ? stats.heldOutHardMse : stats.trainLoss;
      if (score < best.score) best = { score, params: Float32Array.from(net.params), epoch };
      else if (epoch - best.epoch >= patience) {
        stoppedEarly = true;
        break;
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const bestStats = history[best.epoch - 1]!;
  const model: AutoencoderModel = {
    spec,
    params: best.params,
    training: {
      epochs: history.length,
      bestEpoch: best.epoch,
      trainLoss: bestStats.trainLoss,
      heldOutMse: bestStats.heldOutMse,
      heldOutHardMse: bestStats.heldOutHardMse,
      noise: `${noise.kind} ${noise.level}`,
      images: count,
      secondsPerEpoch: history.reduce((s, h) => s + h.seconds, 0) / history.length,
    },
  };
  return { model, history, stoppedEarly };
}

/** Gradient of one batch into net.grads: shards to workers, the first shard on this thread. */
async function batchGradient(
  net: ConvAutoencoder, workers: Worker[], thumbs: Uint8Array, size: number, idx: number[],
  noise: NoiseOptions, penalty: number, straightThrough: boolean, random: () => number,
): Promise<LossParts> {
  const shards = Math.min(workers.length + 1, idx.length);
  const per = Math.ceil(idx.length / shards);
  const parts: Array<Promise<{ grads: Float32Array | null; parts: LossParts; n: number }>> = [];
  const prepare = (ids: number[]) => {
    const clean = thumbnailsToTensor(thumbs, size, ids);
    return { clean, noisy: corrupt(clean, ids.length, size, noise, random) };
  };
  for (let s = 1; s < shards; s++) {
    const ids = idx.slice(s * per, (s + 1) * per);
    const { clean, noisy } = prepare(ids);
    const worker = workers[s - 1]!;
    parts.push(new Promise((resolve, reject) => {
      worker.once('message', (reply: ShardReply) => {
        if (reply.error !== undefined || !reply.grads || !reply.parts) reject(new Error(reply.error ?? 'worker failed'));
        else resolve({ grads: reply.grads, parts: reply.parts, n: ids.length });
      });
      worker.postMessage({ params: net.params, noisy, clean, batch: ids.length, penalty, straightThrough }, [noisy.buffer as ArrayBuffer, clean.buffer as ArrayBuffer]);
    }));
  }
  const own = idx.slice(0, per);
  const { clean, noisy } = prepare(own);
  const ownParts = net.lossAndGrad(noisy, clean, own.length, penalty, straightThrough);
  const others = await Promise.all(parts);
  if (others.length === 0) return ownParts;
  // Shard gradients are shard means: the batch mean weights them by shard size.
  const total = idx.length;
  const g = net.grads;
  const w0 = own.length / total;
  for (let i = 0; i < g.length; i++) g[i]! *= w0;
  const result: LossParts = { loss: ownParts.loss * w0, mse: ownParts.mse * w0, binariness: ownParts.binariness * w0 };
  for (const o of others) {
    const w = o.n / total;
    const og = o.grads!;
    for (let i = 0; i < g.length; i++) g[i]! += w * og[i]!;
    result.loss += o.parts.loss * w;
    result.mse += o.parts.mse * w;
    result.binariness += o.parts.binariness * w;
  }
  return result;
}

/** Held-out reconstruction MSE through the sigmoid code and through the 0/1 code. */
export function evaluateHeldOut(net: ConvAutoencoder, thumbs: Uint8Array, size: number, ids: number[]): { mse: number; hardMse: number } {
  let soft = 0, hard = 0, n = 0;
  for (let s = 0; s < ids.length; s += 32) {
    const part = ids.slice(s, s + 32);
    const clean = thumbnailsToTensor(thumbs, size, part);
    const code = net.encode(clean, part.length);
    const hardCode = hardenCode(code);
    const out = net.decode(code, part.length);
    for (let i = 0; i < out.length; i++) soft += (out[i]! - clean[i]!) ** 2;
    const outHard = net.decode(hardCode, part.length);
    for (let i = 0; i < outHard.length; i++) hard += (outHard[i]! - clean[i]!) ** 2;
    n += clean.length;
  }
  return { mse: soft / n, hardMse: hard / n };
}

/** Mean colour of the training images (a strided sample of at most ~2,000 of them). */
function channelMeans(thumbs: Uint8Array, ids: number[], size: number): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  const step = Math.max(1, Math.floor(ids.length / 2000));
  const bytes = size * size * 3;
  for (let k = 0; k < ids.length; k += step) {
    const o = ids[k]! * bytes;
    for (let i = o; i < o + bytes; i += 3) {
      sum[0]! += thumbs[i]!;
      sum[1]! += thumbs[i + 1]!;
      sum[2]! += thumbs[i + 2]!;
      n++;
    }
  }
  return [sum[0]! / n / 255, sum[1]! / n / 255, sum[2]! / n / 255];
}

function shuffle<T>(a: T[], random: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
