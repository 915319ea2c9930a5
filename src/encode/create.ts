/**
 * From a recipe to a ready Encoder: the classic descriptor needs nothing; a CNN recipe needs
 * its model files found (or downloaded) and verified. When the user did not ask for a CNN
 * explicitly (`fallback`), a missing model is first replaced by its manifest `substitute`
 * (the default TF MobileNetV2 by the zoo one, which can be downloaded), then by the classic
 * encoder, each with a loud warning instead of failing: a first run without network still works.
 */
import path from 'node:path';
import { errorMessage, invalidParameter, isSimiliError } from '../errors.js';
import { integerInRange } from '../validate.js';
import { createClassicEncoder } from './classic.js';
import type { Encoder } from './encoder.js';
import { modelEntry } from './manifest.js';
import { resolveAsset, resolveModel, type ModelLookupOptions, type ResolvedAsset } from './models.js';
import { checkRecipeForCnn, createOnnxClassifier, createOnnxEncoder, type Classifier } from './onnx.js';
import { presetRecipe, type Recipe } from './recipe.js';

export interface EncoderOptions extends ModelLookupOptions {
  /** Fall back to the classic encoder (with a warning) when a CNN model cannot be had. */
  fallback?: boolean;
  warn?: (message: string) => void;
  /** onnxruntime intra-op threads; default all cores. */
  threads?: number;
  batchSize?: number;
}

export type CreateEncoderOptions = EncoderOptions;

export async function createEncoder(recipe: Recipe, options: EncoderOptions = {}): Promise<{ encoder: Encoder; recipe: Recipe }> {
  if (typeof recipe !== 'object' || recipe === null) throw invalidParameter('recipe', 'a recipe object', recipe);
  if (typeof options !== 'object' || options === null) throw invalidParameter('options', 'an object', options);
  if (options.warn !== undefined && typeof options.warn !== 'function') throw invalidParameter('warn', 'a function', options.warn);
  if (options.fallback !== undefined && typeof options.fallback !== 'boolean') throw invalidParameter('fallback', 'a boolean', options.fallback);
  if (options.threads !== undefined) integerInRange('threads', options.threads, 1, 1024);
  if (recipe.kind === 'classic') return { encoder: createClassicEncoder(), recipe };
  if (recipe.kind !== 'cnn') throw invalidParameter('recipe.kind', 'one of cnn, classic', recipe.kind);

  const entries = checkRecipeForCnn(recipe);
  if (options.modelPath !== undefined && entries.length !== 1) {
    throw invalidParameter('modelPath', `no explicit path for an ensemble of ${entries.length} models`, options.modelPath);
  }
  let resolved: Resolved;
  try {
    resolved = { recipe, files: await resolveFiles(recipe, options) };
  } catch (err) {
    if (!options.fallback || !isUnavailable(err)) throw err;
    const substitute = await trySubstitute(recipe, options, err);
    if ('reason' in substitute) {
      options.warn?.(
        `WARNING: the CNN model for preset "${recipe.name}" is unavailable; using the weaker classic ` +
          `(colour + edge) descriptor instead.\n${substitute.reason}`,
      );
      const classic = presetRecipe('classic');
      return { encoder: createClassicEncoder(), recipe: classic };
    }
    resolved = substitute;
  }
  const encoder = await createOnnxEncoder(resolved.recipe, resolved.files, { threads: options.threads, batchSize: options.batchSize });
  return { encoder, recipe: resolved.recipe };
}

interface Resolved {
  recipe: Recipe;
  files: string[];
}

/**
 * The implicit default's next best: its models' manifest substitutes (the zoo MobileNetV2 for
 * the TF one, which has no public ONNX copy), announced loudly; the returned recipe is what the
 * collection records. Resolves to the reasons when no substitute can be had either.
 */
async function trySubstitute(recipe: Recipe, options: EncoderOptions, cause: unknown): Promise<Resolved | { reason: string }> {
  const substitute = options.modelPath === undefined ? substituteRecipe(recipe) : null;
  if (substitute === null) return { reason: errorMessage(cause) };
  try {
    const files = await resolveFiles(substitute, options);
    const used = substitute.models.join(' + ');
    options.warn?.(
      `WARNING: ${recipe.models.join(' + ')} (preset "${recipe.name}") is unavailable; using ${used} instead: ` +
        `the same network with other weights, somewhat weaker for retrieval. The collection records ${used}; ` +
        `once the preferred model is in place, \`simili index --reindex\` rebuilds with it.\n${errorMessage(cause)}`,
    );
    return { recipe: substitute, files };
  } catch (err) {
    if (!isUnavailable(err)) throw err;
    return { reason: `${errorMessage(cause)}\n${errorMessage(err)}` };
  }
}

async function resolveFiles(recipe: Recipe, options: EncoderOptions): Promise<string[]> {
  const files: string[] = [];
  for (const id of recipe.models) files.push((await resolveModel(modelEntry(id), options)).path);
  return files;
}

function isUnavailable(err: unknown): boolean {
  return isSimiliError(err) && (err.code === 'MODEL_UNAVAILABLE' || err.code === 'DOWNLOAD_FAILED');
}

/** The recipe with each model replaced by its manifest `substitute`; null when none has one. */
function substituteRecipe(recipe: Recipe): Recipe | null {
  const models = recipe.models.map((id) => modelEntry(id).substitute ?? id);
  if (models.every((id, i) => id === recipe.models[i])) return null;
  return { ...structuredClone(recipe), models };
}

/**
 * Top-k ImageNet classes for models with logits (squeezenet1.1): the model file and its
 * class-names file are looked up like any model (the names file beside an explicit model path).
 */
export async function createClassifier(modelId: string, options: Omit<EncoderOptions, 'fallback' | 'warn'> = {}): Promise<Classifier> {
  const entry = modelEntry(modelId);
  if (entry.outputs.logits === undefined || entry.classNames === undefined) {
    throw invalidParameter('model', 'a model with class logits (squeezenet1.1)', modelId);
  }
  const model = await resolveModel(entry, options);
  const { modelPath, ...rest } = options;
  let names: ResolvedAsset;
  if (modelPath !== undefined) {
    // An explicit model file: its class names are expected next to it (not next to a graph derived from it).
    const beside = path.join(path.dirname(path.resolve(modelPath)), path.posix.basename(entry.classNames.file));
    names = await resolveAsset(entry.classNames, { ...rest, modelPath: beside });
  } else {
    names = await resolveAsset(entry.classNames, rest);
  }
  return createOnnxClassifier(modelId, model.path, names.path, { threads: options.threads, batchSize: options.batchSize });
}
