/**
 * Category gating for Collection.search: where the query's predictions come from (stored
 * side data for an image of the collection, the classifier for an outside image) and the
 * gate decision over the collection's label index.
 */
import type { Collection } from '../collection.js';
import { SimiliError } from '../errors.js';
import type { ImageLabel } from '../store/catalogue.js';
import { explicitGate, predictedGate, type GateDecision, type GateRuleOptions } from './gate.js';
import { labelIndexOf } from './label-index.js';
import { decodeLabels, labeller, labelSettings, LABELS_KIND, predictBytes } from './labels.js';

export interface CategoryOptions extends GateRuleOptions {
  /** Gate by the query's predicted categories (which ones: GateRuleOptions). */
  byCategory?: boolean;
  /** Only images labelled with this class (name, word of a name, or synset id). */
  category?: string;
}

export function wantsGate(options: CategoryOptions): boolean {
  return options.byCategory === true || options.category !== undefined;
}

/** The stored predictions of an image of the collection, most probable first. */
export async function storedPredictions(collection: Collection, imageId: number): Promise<ImageLabel[]> {
  const image = await collection.store.getImage(imageId);
  if (!image?.hash) return [];
  const side = (await collection.store.getImageData(LABELS_KIND, [image.hash])).get(image.hash);
  if (side) return decodeLabels(side);
  return (await collection.store.getLabels([image.hash])).get(image.hash) ?? [];
}

/** An outside query's predictions, by the collection's label model. */
export async function predictQuery(collection: Collection, bytes: Buffer): Promise<ImageLabel[]> {
  return predictBytes(bytes, labelSettings(await collection.settings()).model);
}

/** @param query an image of the collection (`id`) or an outside image's `predictions` (predictQuery) */
export async function categoryGate(
  collection: Collection,
  query: { id?: number; predictions?: Promise<ImageLabel[]> },
  options: CategoryOptions & { k: number; excludeIds: readonly number[]; total: number },
): Promise<GateDecision> {
  const settings = labelSettings(await collection.settings());
  const index = await labelIndexOf(collection.store);
  if (index.images === 0) {
    throw new SimiliError('INVALID_PARAMETER', `Collection ${collection.dir} has no labels: run \`simili index --labels\` (or \`simili labels --sync\`) first`);
  }
  const { classes } = await labeller(settings.model);
  if (options.category !== undefined) return explicitGate(index, classes, options.category, options.excludeIds);
  let predictions: ImageLabel[] = [];
  if (query.id !== undefined) predictions = await storedPredictions(collection, query.id);
  else if (query.predictions) predictions = await query.predictions;
  return predictedGate(index, classes, predictions, {
    k: options.k,
    ...(options.topCategories !== undefined ? { topCategories: options.topCategories } : {}),
    ...(options.categoryMass !== undefined ? { categoryMass: options.categoryMass } : {}),
    excludeIds: options.excludeIds,
    total: options.total,
  });
}
