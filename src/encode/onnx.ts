/**
 * CNN encoders and classifiers over onnxruntime-node. One InferenceSession per model file;
 * images are preprocessed (preprocess.ts), run in same-size batches, pooled (pooling.ts).
 *
 * Descriptor of one image for one model:  sum over scales s and (if recipe.input.flip) over
 * {image, mirrored image} of L2(pool(features)), then L2. Mirroring happens before resizing so
 * that a mirrored input gives exactly the same descriptor. Ensembles concatenate the per-model
 * descriptors, then L2 again.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { flipRgb, type RgbImage } from '../decode/decode.js';
import { SimiliError, errorMessage, invalidParameter } from '../errors.js';
import { integerInRange } from '../validate.js';
import { modelEntry, type ModelEntry } from './manifest.js';
import type { Encoder } from './encoder.js';
import { l2normalizeInPlace, pool } from './pooling.js';
import { maxInputSide, normalisationTable, prepareImage, sizeBatches, toNchw } from './preprocess.js';
import { recipeEncoderId, type PoolingPolicy, type Recipe, type ResizePolicy } from './recipe.js';

/** Batch size used when the caller does not say: 16 x 3 x 224 x 224 floats is ~10 MB. */
export const DEFAULT_BATCH_SIZE = 16;

export interface SessionOptions {
  /** intra-op threads; default: all cores. */
  threads?: number;
}

export interface OnnxEncoderOptions extends SessionOptions {
  batchSize?: number;
}

export async function openSession(file: string, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  const threads = options.threads ?? os.availableParallelism();
  integerInRange('threads', threads, 1, 1024);
  try {
    return await ort.InferenceSession.create(file, {
      intraOpNumThreads: threads,
      // One graph, run sequentially: inter-op threads would only compete with intra-op ones.
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new SimiliError('MODEL_UNAVAILABLE', `Could not load model ${file}: ${errorMessage(err)}`, { cause: err });
  }
}

interface LoadedModel {
  entry: ModelEntry;
  session: ort.InferenceSession;
}

/** Runs `images` (all one size) through a session; returns the requested output per image. */
async function runBatch(
  model: LoadedModel,
  images: RgbImage[],
  output: string,
  tables: Float32Array[],
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const { data, dims } = toNchw(images, tables);
  const input = new ort.Tensor('float32', data, dims);
  const result = await model.session.run({ [model.entry.input.name]: input }, [output]);
  const tensor = result[output];
  if (tensor === undefined || !(tensor.data instanceof Float32Array)) {
    throw new SimiliError('MODEL_UNAVAILABLE', `Model ${model.entry.id} did not return a float32 "${output}" output`);
  }
  return { data: tensor.data, dims: tensor.dims };
}

/** Descriptors (not normalised) of prepared images for one model, batched by size. */
async function describePrepared(
  model: LoadedModel,
  prepared: RgbImage[],
  pooling: PoolingPolicy,
  batchSize: number,
  tables: Float32Array[],
): Promise<Float32Array[]> {
  const out = new Array<Float32Array>(prepared.length);
  // The model's own GAP is exact and avoids copying the feature map out of the runtime.
  const output = pooling.method === 'gap' ? model.entry.outputs.embedding : model.entry.outputs.features;
  for (const batch of sizeBatches(prepared, batchSize)) {
    const { data, dims } = await runBatch(model, batch.map((i) => prepared[i]!), output, tables);
    const per = data.length / batch.length;
    batch.forEach((imageIndex, j) => {
      const slice = data.subarray(j * per, (j + 1) * per);
      out[imageIndex] =
        pooling.method === 'gap' ? Float32Array.from(slice) : pool(slice, dims[1]!, dims[2]!, dims[3]!, pooling);
    });
  }
  return out;
}

export function checkRecipeForCnn(recipe: Recipe): ModelEntry[] {
  if (recipe.kind !== 'cnn') throw invalidParameter('recipe.kind', '"cnn"', recipe.kind);
  if (!Array.isArray(recipe.models) || recipe.models.length === 0) {
    throw invalidParameter('recipe.models', 'a non-empty array of model ids', recipe.models);
  }
  const { input } = recipe;
  if (input.resize !== 'center-crop' && input.resize !== 'keep-aspect') {
    throw invalidParameter('recipe.input.resize', 'one of center-crop, keep-aspect', input.resize);
  }
  integerInRange('recipe.input.size', input.size, 32, 2048);
  if (!Array.isArray(input.scales) || input.scales.length === 0 || input.scales.some((s) => typeof s !== 'number' || !(s > 0 && s <= 4))) {
    throw invalidParameter('recipe.input.scales', 'a non-empty array of numbers in (0, 4]', input.scales);
  }
  if (typeof input.flip !== 'boolean') throw invalidParameter('recipe.input.flip', 'a boolean', input.flip);
  return recipe.models.map((id) => modelEntry(id));
}

/**
 * An Encoder for a 'cnn' recipe. `files[i]` is the verified file of `recipe.models[i]`
 * (see models.ts resolveAsset).
 */
export async function createOnnxEncoder(recipe: Recipe, files: string[], options: OnnxEncoderOptions = {}): Promise<Encoder> {
  const entries = checkRecipeForCnn(recipe);
  if (!Array.isArray(files) || files.length !== entries.length) {
    throw invalidParameter('files', `an array of ${entries.length} model file paths`, files);
  }
  const batchSize = integerInRange('batchSize', options.batchSize ?? DEFAULT_BATCH_SIZE, 1, 1024);
  const models: LoadedModel[] = [];
  try {
    for (let i = 0; i < entries.length; i++) models.push({ entry: entries[i]!, session: await openSession(files[i]!, options) });
  } catch (err) {
    await Promise.all(models.map((m) => m.session.release()));
    throw err;
  }
  const tables = models.map((m) => normalisationTable(m.entry.normalisation));
  const { resize, size, scales, flip } = recipe.input;
  const sizes = scales.map((s) => Math.max(32, Math.round(size * s)));
  const pooling = structuredClone(recipe.pooling);
  const dim = entries.reduce((sum, e) => sum + e.dim, 0);

  async function describe(images: RgbImage[], m: number): Promise<Float32Array[]> {
    const model = models[m]!;
    const acc = images.map(() => new Float32Array(model.entry.dim));
    const mirrored = flip ? images.map(flipRgb) : null;
    for (const s of sizes) {
      const views = await describeAt(model, images, resize, s, tables[m]!);
      const flipped = mirrored !== null ? await describeAt(model, mirrored, resize, s, tables[m]!) : null;
      acc.forEach((a, i) => {
        const v = views[i]!;
        const f = flipped?.[i];
        // a + b == b + a exactly, so a mirrored input sums to the very same vector.
        for (let k = 0; k < a.length; k++) a[k] += f !== undefined ? v[k]! + f[k]! : v[k]!;
      });
    }
    return acc.map(l2normalizeInPlace);
  }

  async function describeAt(model: LoadedModel, images: RgbImage[], policy: ResizePolicy, s: number, table: Float32Array[]): Promise<Float32Array[]> {
    const prepared = await Promise.all(images.map((img) => prepareImage(img, policy, s)));
    return (await describePrepared(model, prepared, pooling, batchSize, table)).map(l2normalizeInPlace);
  }

  let closed = false;
  return {
    id: recipeEncoderId(recipe),
    dim,
    description: `${recipe.models.join(' + ')}, ${resize} ${size}${scales.length > 1 ? ` x[${scales.join(', ')}]` : ''}${flip ? ', flip' : ''}, ${describePooling(pooling)}`,
    maxSide: Math.max(...sizes.map((s) => maxInputSide(resize, s))),
    async encodeBatch(images: RgbImage[]): Promise<Float32Array[]> {
      if (closed) throw new SimiliError('INVALID_PARAMETER', 'Encoder is closed');
      if (!Array.isArray(images)) throw invalidParameter('images', 'an array of RGB images', images);
      if (images.length === 0) return [];
      const perModel: Float32Array[][] = [];
      for (let m = 0; m < models.length; m++) perModel.push(await describe(images, m));
      if (models.length === 1) return perModel[0]!;
      return images.map((_, i) => {
        const out = new Float32Array(dim);
        let offset = 0;
        for (const vectors of perModel) {
          out.set(vectors[i]!, offset);
          offset += vectors[i]!.length;
        }
        return l2normalizeInPlace(out);
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all(models.map((m) => m.session.release()));
    },
  };
}

function describePooling(p: PoolingPolicy): string {
  if (p.method === 'gem') return `GeM p=${p.p ?? 3}`;
  if (p.method === 'rmac') return `R-MAC L=${p.levels ?? 3}`;
  return p.method === 'gap' ? 'GAP' : 'SPoC';
}

export interface ClassPrediction {
  classIndex: number;
  /** Synset id and names, as in the manifest's class-names file. */
  name: string;
  probability: number;
}

export interface Classifier {
  readonly modelId: string;
  readonly classNames: readonly string[];
  /** Top-k classes per image, most probable first (softmax over the model's logits). */
  classify(images: RgbImage[], topK?: number): Promise<ClassPrediction[][]>;
  close(): Promise<void>;
}

/** Parses a class-names file: one `synset name` per line. */
export async function readClassNames(file: string, expected: number): Promise<string[]> {
  const names = (await readFile(file, 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (names.length !== expected) {
    throw new SimiliError('MODEL_UNAVAILABLE', `${file} lists ${names.length} classes, expected ${expected}`);
  }
  return names;
}

export function softmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / sum;
  return out;
}

/**
 * A classifier over a model with `logits` (squeezenet1.1). Preprocessing is the ImageNet
 * evaluation policy the model was trained for: center-crop at its native size.
 */
export async function createOnnxClassifier(
  modelId: string,
  modelFile: string,
  classNamesFile: string,
  options: OnnxEncoderOptions = {},
): Promise<Classifier> {
  const entry = modelEntry(modelId);
  const logits = entry.outputs.logits;
  if (logits === undefined || entry.classNames === undefined) {
    throw invalidParameter('model', 'a model with class logits (squeezenet1.1)', modelId);
  }
  const batchSize = integerInRange('batchSize', options.batchSize ?? DEFAULT_BATCH_SIZE, 1, 1024);
  const classNames = await readClassNames(classNamesFile, entry.classNames.count);
  const model: LoadedModel = { entry, session: await openSession(modelFile, options) };
  const tables = normalisationTable(entry.normalisation);
  return {
    modelId,
    classNames,
    async classify(images: RgbImage[], topK = 5): Promise<ClassPrediction[][]> {
      if (!Array.isArray(images)) throw invalidParameter('images', 'an array of RGB images', images);
      integerInRange('topK', topK, 1, classNames.length);
      const prepared = await Promise.all(images.map((img) => prepareImage(img, 'center-crop', entry.input.nativeSize)));
      const out = new Array<ClassPrediction[]>(images.length);
      for (const batch of sizeBatches(prepared, batchSize)) {
        const { data } = await runBatch(model, batch.map((i) => prepared[i]!), logits, tables);
        const n = classNames.length;
        batch.forEach((imageIndex, j) => {
          const p = softmax(data.subarray(j * n, (j + 1) * n));
          const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]!).slice(0, topK);
          out[imageIndex] = order.map((k) => ({ classIndex: k, name: classNames[k]!, probability: p[k]! }));
        });
      }
      return out;
    },
    async close(): Promise<void> {
      await model.session.release();
    },
  };
}
