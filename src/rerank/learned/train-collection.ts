/**
 * Train the similarity MLP on a collection: mine pairs (supervised from class folders, or
 * unsupervised from augmentation + SSIM/Euclidean targets), hold out 20 % of the images
 * (pairs never straddle the two sides), train, and package the model with its provenance.
 */
import type { Collection } from '../../collection.js';
import { seededRandom } from '../../random.js';
import { SimiliError } from '../../errors.js';
import { labelOf } from '../../eval/dataset.js';
import type { CodeMatrix } from '../../store/catalogue.js';
import { integerInRange, oneOf } from '../../validate.js';
import { greyLookup } from '../collection-rerank.js';
import type { GreyImage } from '../grey.js';
import { augmentImage } from './augment.js';
import type { SimilarityModel } from './model.js';
import { supervisedPairs, unsupervisedPairs, type MinedPair } from './pairs.js';
import { splitRows, splitRowsByGroup } from './split.js';
import { trainPairs, type EpochStats, type TrainResult } from './train.js';

export const TARGET_SOURCES = ['auto', 'supervised', 'unsupervised'] as const;
export type TargetSource = (typeof TARGET_SOURCES)[number];

export interface TrainSimilarityOptions {
  targets?: TargetSource;
  /** Training pairs mined (the held-out side gets a quarter as many). */
  pairs?: number;
  epochs?: number;
  hidden?: number[];
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Train only on these rows of the collection's code matrix (e.g. the training classes of a split). */
  rows?: readonly number[];
  onEpoch?: (e: EpochStats) => void;
  onStage?: (message: string) => void;
}

export interface TrainSimilarityResult {
  model: SimilarityModel;
  training: TrainResult;
  trainPairs: MinedPair[];
  valPairs: MinedPair[];
}

/** Labels of the matrix rows from the top folder; null where an image has none. */
export async function rowLabels(collection: Collection, matrix: CodeMatrix): Promise<Array<string | null>> {
  const records = await collection.store.getImages(Array.from(matrix.ids));
  const byId = new Map(records.map((r) => [r.id, labelOf(r.path)]));
  return Array.from(matrix.ids, (id) => byId.get(id) ?? null);
}

/** Supervised when most images sit in class folders and there are at least two classes. */
export function chooseTargets(requested: TargetSource, labels: ReadonlyArray<string | null>): 'supervised' | 'unsupervised' {
  const labelled = labels.filter((l): l is string => l !== null);
  const usable = new Set(labelled).size >= 2;
  if (requested === 'supervised' && !usable) {
    throw new SimiliError('INVALID_PARAMETER', 'Supervised targets need class folders (<root>/<class>/...) with at least 2 classes');
  }
  if (requested !== 'auto') return requested;
  return usable && labelled.length >= labels.length / 2 ? 'supervised' : 'unsupervised';
}

export async function trainSimilarity(collection: Collection, options: TrainSimilarityOptions = {}): Promise<TrainSimilarityResult> {
  const requested = oneOf('targets', options.targets ?? 'auto', TARGET_SOURCES);
  const nPairs = integerInRange('pairs', options.pairs ?? 4000, 10, 1_000_000);
  const seed = integerInRange('seed', options.seed ?? 1, 0, 0x7fffffff);
  const matrix = await collection.codes();
  if (matrix.ids.length < 10) throw new SimiliError('INVALID_PARAMETER', `Training needs at least 10 indexed images; ${collection.dir} has ${matrix.ids.length}`);
  const labels = await rowLabels(collection, matrix);
  const targets = chooseTargets(requested, labels);
  const all = options.rows ? [...options.rows] : Array.from(matrix.ids, (_, r) => r);
  const rows = targets === 'supervised' ? all.filter((r) => labels[r] !== null) : all;
  // Supervised: stratified by class, so the held-out side has same-class pairs too.
  const split = targets === 'supervised' ? splitRowsByGroup(rows, (r) => labels[r]!, seed) : splitRows(rows, seed);
  const nVal = Math.max(10, Math.round(nPairs / 4));
  options.onStage?.(`mining ${targets} pairs from ${split.train.length} training and ${split.val.length} held-out images`);

  let trainSet: MinedPair[];
  let valSet: MinedPair[];
  if (targets === 'supervised') {
    const l = labels.map((x) => x ?? '');
    trainSet = supervisedPairs(matrix, l, split.train, nPairs, seed);
    valSet = supervisedPairs(matrix, l, split.val, nVal, seed + 1);
  } else {
    const random = seededRandom(seed + 7);
    const lookup = greyLookup(collection);
    const records = new Map((await collection.store.getImages(Array.from(matrix.ids))).map((r) => [r.id, r]));
    const sources = {
      async augmentedCode(row: number): Promise<Float32Array> {
        const rec = records.get(matrix.ids[row]!)!;
        return collection.encodeImage(await augmentImage(await collection.readImage(rec.path), random));
      },
      async greys(rs: readonly number[]): Promise<Map<number, GreyImage>> {
        const byId = await lookup(rs.map((r) => matrix.ids[r]!));
        return new Map(rs.flatMap((r) => { const g = byId.get(matrix.ids[r]!); return g ? [[r, g] as const] : []; }));
      },
    };
    // Augmented copies cost an encode each: a fifth of the pairs, the rest split far / near.
    const counts = (n: number) => ({ augmented: Math.round(n / 5), far: Math.round((2 * n) / 5), nearAnchors: Math.round((2 * n) / 25), perAnchor: 5 });
    trainSet = await unsupervisedPairs(matrix, split.train, sources, counts(nPairs), seed);
    valSet = await unsupervisedPairs(matrix, split.val, sources, counts(nVal), seed + 1);
  }
  if (trainSet.length === 0) throw new SimiliError('INVALID_PARAMETER', 'No training pairs could be mined from this collection');
  options.onStage?.(`training on ${trainSet.length} pairs, ${valSet.length} held out`);
  const training = trainPairs(trainSet, valSet, {
    ...(options.hidden ? { hidden: options.hidden } : {}),
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
    seed,
    ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
  });
  const last = training.epochs[training.epochs.length - 1]!;
  const { encoderId } = await collection.info();
  const trainClasses = targets === 'supervised' ? [...new Set(split.train.map((r) => labels[r]!))].sort() : undefined;
  return {
    model: {
      net: training.net,
      info: {
        encoderId: encoderId ?? 'unknown',
        dim: matrix.dim,
        targets,
        trainedAt: new Date().toISOString(),
        pairs: trainSet.length,
        heldOutAccuracy: last.valAccuracy,
        ...(trainClasses ? { trainClasses } : {}),
      },
    },
    training,
    trainPairs: trainSet,
    valPairs: valSet,
  };
}

