/**
 * A recipe is everything that decides what a vector means: model(s), input policy,
 * pooling and post-processing. It is plain data, stored in the collection at index time,
 * so that search always encodes the query the same way the collection was encoded.
 */
import { invalidParameter } from '../errors.js';

export const POOLING_METHODS = ['gap', 'gem', 'rmac', 'spoc'] as const;
export type PoolingMethod = (typeof POOLING_METHODS)[number];

export const RESIZE_POLICIES = ['center-crop', 'keep-aspect'] as const;
export type ResizePolicy = (typeof RESIZE_POLICIES)[number];

export interface InputPolicy {
  /**
   * center-crop: shorter side to `size * 256/224`, centre crop `size` x `size` (ImageNet eval policy).
   * keep-aspect: shorter side to `size`, no crop (longer side capped at `maxSide`).
   */
  resize: ResizePolicy;
  size: number;
  /** Multi-scale extraction: factors applied to `size`; descriptors are summed then L2-normalised. */
  scales: number[];
  /** Average with the horizontally flipped image's descriptor. */
  flip: boolean;
}

export interface PoolingPolicy {
  method: PoolingMethod;
  /** GeM exponent (method 'gem'). */
  p?: number;
  /** R-MAC levels (method 'rmac'). */
  levels?: number;
}

/** Neighbour averaging (alpha-QE, DBA): see src/search/expansion.ts. */
export interface ExpansionPolicy {
  /** Neighbours folded in (the query or image itself is extra, with weight 1). */
  k: number;
  /** Neighbour weight = max(similarity, 0)^alpha. */
  alpha: number;
}

/** DBA may run more than once: each pass finds neighbours among the previous pass's codes. */
export interface DbaPolicy extends ExpansionPolicy {
  /** Default 1. */
  passes?: number;
}

export interface PostPolicy {
  /** Signed power normalisation exponent applied before L2 (1 = off, 0.5 = signed square root). */
  power: number;
  /**
   * Subtract the collection's mean vector (learned from the collection, stored with it),
   * then L2. Removes what every photo of this collection shares, so cosine compares what
   * differs. Measured: a free gain on every dataset (docs/quality.md). Absent = false.
   */
  centre?: boolean;
  /**
   * PCA-whitening learned from the collection itself (L2 -> PCA -> whiten -> L2).
   * `dim` is the output dimension (0 = keep all components); `shrinkage` adds that many
   * times the mean eigenvalue before inverting. Measured as harmful on category-level
   * collections (docs/quality.md), so no preset uses it.
   */
  whiten: { dim: number; shrinkage?: number } | null;
  /**
   * Database-side augmentation: after coding, every stored code is replaced by the
   * normalised weighted sum of itself and its k nearest codes (refitted with the codes).
   * Outside queries are not augmented. Absent = null.
   */
  dba?: DbaPolicy | null;
}

export interface SearchPolicy {
  /** alpha-QE: search again with the query averaged with its top k. Null = off. */
  queryExpansion: ExpansionPolicy | null;
}

export interface Recipe {
  /** Preset name, or 'custom'. */
  name: string;
  /** 'cnn' uses ONNX models from the manifest; 'classic' is the built-in weight-free descriptor. */
  kind: 'cnn' | 'classic';
  /** Manifest model ids; more than one = concatenated ensemble. Empty for 'classic'. */
  models: string[];
  input: InputPolicy;
  pooling: PoolingPolicy;
  post: PostPolicy;
  /** Search-time options that belong to the recipe (absent = none). */
  search?: SearchPolicy;
}

/*
 * The presets, chosen by measurement (docs/quality.md, leave-one-out on corel-1k and
 * imagenet-100x10). On both, mean-centring + DBA + alpha-QE over plain GAP codes beat every
 * pooling (GeM, SPoC, R-MAC), input size, PCA-whitening and ensemble tried; bigger inputs and
 * GeM help corel but hurt imagenet, whitening learned on a category-level collection hurts both.
 */
const EXPANSION: ExpansionPolicy = { k: 5, alpha: 1 };
/**
 * Two passes of DBA over 8 neighbours weighted by similarity^2: of 1,892 settings swept around
 * it, this block is where every target holds on both datasets with all neighbouring settings
 * passing too (a single pass only reaches them at isolated, overfitted points).
 */
const DBA: DbaPolicy = { k: 8, alpha: 2, passes: 2 };

export const PRESETS = {
  /** Plain global-average-pooled MobileNetV2, the literature's baseline: nothing learned. */
  fast: {
    name: 'fast',
    kind: 'cnn',
    models: ['mobilenetv2-tf'],
    input: { resize: 'center-crop', size: 224, scales: [1], flip: false },
    pooling: { method: 'gap' },
    post: { power: 1, centre: false, whiten: null, dba: null },
    search: { queryExpansion: null },
  },
  /** The default: the same model cost as `fast`, plus centring, DBA and alpha-QE. */
  balanced: {
    name: 'balanced',
    kind: 'cnn',
    models: ['mobilenetv2-tf'],
    input: { resize: 'center-crop', size: 224, scales: [1], flip: false },
    pooling: { method: 'gap' },
    post: { power: 1, centre: true, whiten: null, dba: DBA },
    search: { queryExpansion: EXPANSION },
  },
  /** `balanced` plus horizontal-flip averaging: twice the model time, a little better. */
  best: {
    name: 'best',
    kind: 'cnn',
    models: ['mobilenetv2-tf'],
    input: { resize: 'center-crop', size: 224, scales: [1], flip: true },
    pooling: { method: 'gap' },
    post: { power: 1, centre: true, whiten: null, dba: DBA },
    search: { queryExpansion: EXPANSION },
  },
  classic: {
    name: 'classic',
    kind: 'classic',
    models: [],
    input: { resize: 'keep-aspect', size: 128, scales: [1], flip: false },
    pooling: { method: 'gap' },
    post: { power: 1, whiten: null },
  },
} as const satisfies Record<string, Recipe>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
export const DEFAULT_PRESET: PresetName = 'balanced';

export function presetRecipe(name: string): Recipe {
  if (!(name in PRESETS)) throw invalidParameter('preset', `one of ${PRESET_NAMES.join(', ')}`, name);
  return structuredClone(PRESETS[name as PresetName]) as Recipe;
}

/** Stable identity of the extraction part of a recipe: what stored vectors are compatible with. */
export function recipeEncoderId(recipe: Recipe): string {
  const { kind, models, input, pooling } = recipe;
  const parts = [
    kind === 'classic' ? 'classic-cld-ehd' : models.join('+'),
    `${input.resize}${input.size}`,
    input.scales.length > 1 ? `ms${input.scales.map((s) => s.toFixed(3)).join(',')}` : '',
    input.flip ? 'flip' : '',
    kind === 'classic' ? '' : pooling.method + (pooling.p !== undefined ? pooling.p : '') + (pooling.levels !== undefined ? `l${pooling.levels}` : ''),
  ];
  return parts.filter(Boolean).join('/');
}
