/**
 * Training loop for the pair-scoring MLP: shuffled mini-batches, Adam, per-epoch train and
 * held-out loss and accuracy (a pair counts as correct when score and target fall on the same
 * side of 0.5), so the CLI can plot curves and report how well it generalises.
 */
import { seededRandom } from '../../random.js';
import { integerInRange, numberInRange } from '../../validate.js';
import { Adam, batchGradients, bceWithLogit, Mlp, parameters } from './mlp.js';
import { pairFeatures } from './model.js';

export interface Pair {
  a: Float32Array;
  b: Float32Array;
  /** 1 = similar, 0 = not; soft values in between are allowed. */
  target: number;
}

export interface TrainOptions {
  hidden?: number[];
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  weightDecay?: number;
  seed?: number;
  onEpoch?: (e: EpochStats) => void;
}

export interface EpochStats {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
}

export interface TrainResult {
  net: Mlp;
  epochs: EpochStats[];
  /** Mean loss of every mini-batch, in order (the fine-grained curve). */
  batchLosses: number[];
}

export function evaluatePairs(net: Mlp, pairs: readonly Pair[]): { loss: number; accuracy: number } {
  if (pairs.length === 0) return { loss: NaN, accuracy: NaN };
  let loss = 0;
  let correct = 0;
  const buf = new Float32Array(net.shape.input);
  for (const p of pairs) {
    const acts = net.forward(pairFeatures(p.a, p.b, buf));
    const z = acts[acts.length - 1]![0]!;
    loss += bceWithLogit(z, p.target);
    if (z > 0 === p.target > 0.5) correct++;
  }
  return { loss: loss / pairs.length, accuracy: correct / pairs.length };
}

export function trainPairs(train: readonly Pair[], val: readonly Pair[], options: TrainOptions = {}): TrainResult {
  if (train.length === 0) throw new RangeError('no training pairs');
  const dim = train[0]!.a.length;
  const epochs = integerInRange('epochs', options.epochs ?? 5, 1, 1000);
  const batchSize = integerInRange('batchSize', options.batchSize ?? 32, 1, 4096);
  const lr = numberInRange('learningRate', options.learningRate ?? 1e-3, 1e-7, 1);
  const net = new Mlp({ input: 2 * dim, hidden: options.hidden ?? [32] }, undefined, options.seed ?? 1);
  const adam = new Adam(parameters(net), { learningRate: lr, weightDecay: options.weightDecay ?? 1e-4 });
  const random = seededRandom(options.seed ?? 1);
  const order = train.map((_, i) => i);
  const result: TrainResult = { net, epochs: [], batchLosses: [] };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let start = 0; start < order.length; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const inputs = idx.map((i) => pairFeatures(train[i]!.a, train[i]!.b));
      const { loss, grads } = batchGradients(net, inputs, idx.map((i) => train[i]!.target));
      adam.step(grads);
      result.batchLosses.push(loss);
    }
    const tr = evaluatePairs(net, train);
    const va = evaluatePairs(net, val);
    const stats = { epoch, trainLoss: tr.loss, trainAccuracy: tr.accuracy, valLoss: va.loss, valAccuracy: va.accuracy };
    result.epochs.push(stats);
    options.onEpoch?.(stats);
  }
  return result;
}
