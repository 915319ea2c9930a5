/**
 * The model manifest: every pretrained graph simili knows, as plain data (the way sharp's
 * lib/constructor.js states its option vocabularies). Loading, preprocessing and pooling read
 * everything model-specific from here; nothing else hard-codes a model.
 */
import { invalidParameter } from '../errors.js';
import type { ResizePolicy } from './recipe.js';

export interface Normalisation {
  /** Per-channel (R, G, B) mean and std applied after dividing the 8-bit value by 255. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export interface ModelOutputs {
  /** [N, C]: global average pooling of `features`. */
  embedding: string;
  /** [N, C, h, w]: the last feature map, for GeM / R-MAC / SPoC. */
  features: string;
  /** [N, classes]: classifier scores before softmax; absent for backbones. */
  logits?: string;
}

/** One file simili can look up, verify and download. */
export interface ModelAsset {
  /** Path relative to a models directory (POSIX separators). */
  file: string;
  sha256: string;
  bytes: number;
  /**
   * Where a byte-identical copy can be downloaded. Null when none is published: simili's
   * graphs are backbones re-assembled with extra outputs, so the upstream classifiers in
   * `upstream` have other checksums and cannot stand in for them as files (see `download`).
   */
  url: string | null;
}

/**
 * A public file from which an equivalent graph can be derived (onnx-graph.ts): a complete
 * classifier with a fixed 1 x 3 x 224 x 224 input whose last feature map is an inner tensor.
 * The rewrite exposes that tensor as `features`, adds `embedding` = its global average, renames
 * the input to the entry's and makes its batch and spatial sizes symbolic.
 */
export interface DownloadSource extends ModelAsset {
  url: string;
  /** Where the checksum was read: the repository's Git LFS pointer for the file. */
  checksumFrom: string;
  /** The file's graph input. */
  input: string;
  /** Inner tensor with the last feature map [N, C, h, w]. */
  features: string;
  /** Tensor with the class scores, for entries that have `outputs.logits`. */
  logits?: string;
}

export interface ModelEntry extends ModelAsset {
  id: string;
  input: {
    name: string;
    /** Float32 [N, 3, H, W], RGB; H and W are free, `nativeSize` is the training size. */
    layout: 'NCHW';
    nativeSize: number;
  };
  normalisation: Normalisation;
  outputs: ModelOutputs;
  /** Channels C of `features` and `embedding`. */
  dim: number;
  /** Resize policy under which the README's retrieval numbers were measured. */
  defaultResize: ResizePolicy;
  /** Class names, one `synset name` per line, relative to a models directory. */
  classNames?: ModelAsset & { count: number };
  licence: string;
  /** Canonical public copies of the upstream model this graph was built from (provenance). */
  upstream: readonly string[];
  /** A public classifier this graph can be derived from when the file itself cannot be had. */
  download?: DownloadSource;
  /**
   * Model to use instead when this one cannot be had and the caller allows a fallback: same
   * architecture and dimension, weaker numbers (the default's TF weights have no public ONNX copy).
   */
  substitute?: string;
}

const IMAGENET: Normalisation = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** TF-slim's Inception preprocessing maps [0, 1] to [-1, 1]: (x - 0.5) / 0.5. */
const TF_INCEPTION: Normalisation = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

const ZOO = 'https://github.com/onnx/models/raw/main/validated/vision/classification';
/** Checksums are the Git LFS pointers of github onnx/models (same oid in the old vision/ layout). */
const ZOO_LFS = 'Git LFS pointer of github onnx/models';

export const MODELS = {
  'mobilenetv2-tf': {
    id: 'mobilenetv2-tf',
    file: 'mobilenetv2-tf/mobilenetv2-tf-backbone.onnx',
    sha256: '97aaff0c083b9e75409a043ba2896bf308eddde66951165ecba60ab014e42870',
    bytes: 8842474,
    input: { name: 'input', layout: 'NCHW', nativeSize: 224 },
    normalisation: TF_INCEPTION,
    outputs: { embedding: 'embedding', features: 'features' },
    dim: 1280,
    defaultResize: 'center-crop',
    licence: 'Apache-2.0',
    url: null,
    upstream: [
      'https://storage.googleapis.com/mobilenet_v2/checkpoints/mobilenet_v2_1.0_224.tgz',
      'https://github.com/webmachinelearning/test-data',
    ],
    substitute: 'mobilenetv2-zoo',
  },
  'mobilenetv2-zoo': {
    id: 'mobilenetv2-zoo',
    file: 'mobilenetv2-zoo/mobilenetv2-7-backbone.onnx',
    sha256: 'eb07feea0eaf65b30f9c3d9b7db513a84e878a4024f85ee4544dd4278f08a054',
    bytes: 8839937,
    input: { name: 'input', layout: 'NCHW', nativeSize: 224 },
    normalisation: IMAGENET,
    outputs: { embedding: 'embedding', features: 'features' },
    dim: 1280,
    defaultResize: 'center-crop',
    licence: 'Apache-2.0',
    url: null,
    upstream: [`${ZOO}/mobilenet/model/mobilenetv2-7.onnx`, 'https://github.com/webmachinelearning/test-data'],
    download: {
      file: 'mobilenetv2-zoo/mobilenetv2-7.onnx',
      sha256: 'c1c513582d56afceff8516c73804e484c81c6a830712ab6d682253f4a3cd042f',
      bytes: 14246826,
      url: `${ZOO}/mobilenet/model/mobilenetv2-7.onnx`,
      checksumFrom: `${ZOO_LFS}, vision/classification/mobilenet/model/mobilenetv2-7.onnx`,
      input: 'data',
      // MXNet Gluon export: the last ReLU6 of `features`, 1280 x 7 x 7, right before pool0.
      features: 'mobilenetv20_features_relu1_fwd',
    },
  },
  'squeezenet1.1': {
    id: 'squeezenet1.1',
    file: 'squeezenet1.1/squeezenet1.1.onnx',
    sha256: '3c8ba9d71ef257e9804b1a431805ce3905c5e5e8488a970329e752bd2d92d865',
    bytes: 4950346,
    input: { name: 'input', layout: 'NCHW', nativeSize: 224 },
    normalisation: IMAGENET,
    outputs: { embedding: 'embedding', features: 'features', logits: 'logits' },
    dim: 512,
    defaultResize: 'center-crop',
    classNames: {
      file: 'squeezenet1.1/imagenet-synsets.txt',
      sha256: 'acf75ef0abe89694b19056e0796401068b459c457baa30335f240c7692857355',
      bytes: 31675,
      url: null,
      count: 1000,
    },
    licence: 'Apache-2.0',
    url: null,
    upstream: [`${ZOO}/squeezenet/model/squeezenet1.1-7.onnx`, 'https://github.com/webmachinelearning/test-data'],
    download: {
      file: 'squeezenet1.1/squeezenet1.1-7.onnx',
      sha256: '1eeff551a67ae8d565ca33b572fc4b66e3ef357b0eb2863bb9ff47a918cc4088',
      bytes: 4956208,
      url: `${ZOO}/squeezenet/model/squeezenet1.1-7.onnx`,
      checksumFrom: `${ZOO_LFS}, vision/classification/squeezenet/model/squeezenet1.1-7.onnx`,
      input: 'data',
      // The last fire module's concat, 512 x 13 x 13, before dropout and the classifier conv.
      features: 'squeezenet0_concat7',
      logits: 'squeezenet0_flatten0_reshape0',
    },
  },
} as const satisfies Record<string, ModelEntry>;

export type ModelId = keyof typeof MODELS;
export const MODEL_IDS = Object.keys(MODELS) as ModelId[];
export const DEFAULT_MODEL: ModelId = 'mobilenetv2-tf';

export function modelEntry(id: string): ModelEntry {
  if (!(id in MODELS)) throw invalidParameter('model', `one of ${MODEL_IDS.join(', ')}`, id);
  return MODELS[id as ModelId];
}
