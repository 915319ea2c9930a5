/**
 * A recipe is everything that decides what a vector means: model(s), input policy,
 * pooling and post-processing. It is plain data, stored in the collection at index time,
 * so that search always encodes the query the same way the collection was encoded.
 *
 * OWNERS: core (shape), quality helper (issue 7: presets, pooling, post-processing).
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

export interface PostPolicy {
  /** Signed power normalisation exponent applied before L2 (1 = off, 0.5 = signed square root). */
  power: number;
  /**
   * PCA-whitening learned from the collection itself (L2 -> PCA -> whiten -> L2).
   * `dim` is the output dimension (0 = keep all components).
   */
  whiten: { dim: number; shrinkage?: number } | null;
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
}

export const PRESETS = {
  /** Plain global-average-pooled MobileNetV2, the literature's baseline. */
  fast: {
    name: 'fast',
    kind: 'cnn',
    models: ['mobilenetv2-tf'],
    input: { resize: 'center-crop', size: 224, scales: [1], flip: false },
    pooling: { method: 'gap' },
    post: { power: 1, whiten: null },
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
export const DEFAULT_PRESET: PresetName = 'fast';

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
