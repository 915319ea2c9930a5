/**
 * Predicted ImageNet labels: the shared classifier, the per-collection label settings, the
 * side-data producer that classifies each decoded image at index time, and the compact
 * encoding of predictions kept as side data.
 *
 * Side data keeps the top PREDICTIONS_KEPT predictions (more than the catalogue's top-k), so a
 * category gate can widen for a query by id without decoding the image again.
 */
import { decodeImage } from '../decode/decode.js';
import type { RgbImage } from '../decode/decode.js';
import { createClassifier } from '../encode/create.js';
import type { Classifier } from '../encode/onnx.js';
import { maxInputSide } from '../encode/preprocess.js';
import type { CollectionSettings, SideDataProducer } from '../indexing/side-data.js';
import type { ImageLabel } from '../store/catalogue.js';
import { integerInRange, nonEmptyString } from '../validate.js';
import { parseClassName, type ClassName } from './classes.js';

export const LABELS_KIND = 'labels-v1';
export const DEFAULT_LABEL_MODEL = 'squeezenet1.1';
export const DEFAULT_LABELS_TOP_K = 5;
export const PREDICTIONS_KEPT = 10;

export interface LabelSettings {
  enabled: boolean;
  /** Classes stored per image in the catalogue's inverted index. */
  topK: number;
  model: string;
}

/** The label part of a collection's settings: { labels: true, labelsTopK?: 5, labelModel?: 'squeezenet1.1' }. */
export function labelSettings(settings: CollectionSettings): LabelSettings {
  return {
    enabled: settings.labels === true,
    topK: integerInRange('labelsTopK', settings.labelsTopK ?? DEFAULT_LABELS_TOP_K, 1, PREDICTIONS_KEPT),
    model: nonEmptyString('labelModel', settings.labelModel ?? DEFAULT_LABEL_MODEL),
  };
}

export interface Labeller {
  classifier: Classifier;
  classes: ClassName[];
}

const labellers = new Map<string, Promise<Labeller>>();

/**
 * One classifier per model per process: index, search and `labels` share it. It is kept
 * open for the life of the process (a few MB), since queries arrive one at a time.
 */
export function labeller(model = DEFAULT_LABEL_MODEL): Promise<Labeller> {
  let p = labellers.get(model);
  if (!p) {
    // Looked up like any model (SIMILI_MODELS_DIR, the cache, a download); never --model, the encoder's file.
    p = createClassifier(model).then((classifier) => ({
      classifier,
      classes: classifier.classNames.map((line, i) => parseClassName(i, line)),
    }));
    p.catch(() => labellers.delete(model));
    labellers.set(model, p);
  }
  return p;
}

/** Release every classifier (tests, long-lived hosts shutting down). */
export async function closeLabellers(): Promise<void> {
  const all = [...labellers.values()];
  labellers.clear();
  for (const p of all) await (await p.catch(() => null))?.classifier.close();
}

/** Largest side the classifier reads: decode outside images no bigger than this. */
export const CLASSIFIER_MAX_SIDE = maxInputSide('center-crop', 224);

export async function predict(images: RgbImage[], model = DEFAULT_LABEL_MODEL, topK = PREDICTIONS_KEPT): Promise<ImageLabel[][]> {
  const { classifier } = await labeller(model);
  const out = await classifier.classify(images, topK);
  return out.map((preds) => preds.map((p) => ({ classIndex: p.classIndex, probability: p.probability })));
}

/** Predictions for image bytes (a query, a file given to `simili labels`). */
export async function predictBytes(bytes: Buffer, model = DEFAULT_LABEL_MODEL, topK = PREDICTIONS_KEPT): Promise<ImageLabel[]> {
  const image = await decodeImage(bytes, { maxSide: CLASSIFIER_MAX_SIDE });
  return (await predict([image], model, topK))[0]!;
}

/** uint16 count, then per label uint16 class index + float32 probability (little-endian). */
export function encodeLabels(labels: readonly ImageLabel[]): Buffer {
  const buf = Buffer.alloc(2 + labels.length * 6);
  buf.writeUInt16LE(labels.length, 0);
  labels.forEach((l, i) => {
    buf.writeUInt16LE(l.classIndex, 2 + i * 6);
    buf.writeFloatLE(l.probability, 4 + i * 6);
  });
  return buf;
}

export function decodeLabels(buf: Buffer): ImageLabel[] {
  if (buf.length < 2) return [];
  const n = buf.readUInt16LE(0);
  if (buf.length < 2 + n * 6) return [];
  const out: ImageLabel[] = [];
  for (let i = 0; i < n; i++) out.push({ classIndex: buf.readUInt16LE(2 + i * 6), probability: buf.readFloatLE(4 + i * 6) });
  return out;
}

/**
 * Classifies each decoded image while indexing. The model is read from the settings of the
 * run that enabled it; a collection uses one label model at a time.
 */
export const labelProducer: SideDataProducer & { model: string } = {
  kind: LABELS_KIND,
  model: DEFAULT_LABEL_MODEL,
  enabled(settings) {
    const s = labelSettings(settings);
    labelProducer.model = s.model;
    return s.enabled;
  },
  async produce(images) {
    const preds = await predict([...images], labelProducer.model);
    return preds.map(encodeLabels);
  },
};
