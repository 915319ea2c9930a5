/**
 * Labels for people: class names with probabilities, for `labels`, `ls --label` and
 * `search --show-labels`.
 */
import type { Collection } from '../collection.js';
import type { ImageLabel } from '../store/catalogue.js';
import { matchClasses, shortName, type ClassName } from './classes.js';
import { labeller, labelSettings, predictBytes } from './labels.js';

export interface NamedLabel {
  classIndex: number;
  synset: string;
  name: string;
  probability: number;
}

export function nameLabels(classes: readonly ClassName[], labels: readonly ImageLabel[]): NamedLabel[] {
  return labels.map((l) => {
    const c = classes[l.classIndex];
    return { classIndex: l.classIndex, synset: c?.synset ?? '', name: c ? shortName(c) : String(l.classIndex), probability: l.probability };
  });
}

/** Stored labels of images of the collection, by image id (images without labels are absent). */
export async function labelsOfImages(collection: Collection, ids: readonly number[]): Promise<Map<number, NamedLabel[]>> {
  const { classes } = await labeller(labelSettings(await collection.settings()).model);
  const images = await collection.store.getImages(ids);
  const hashes = images.flatMap((r) => (r.hash ? [r.hash] : []));
  const byHash = await collection.store.getLabels(hashes);
  const out = new Map<number, NamedLabel[]>();
  for (const r of images) {
    const labels = r.hash ? byHash.get(r.hash) : undefined;
    if (labels) out.set(r.id, nameLabels(classes, labels));
  }
  return out;
}

/** Top-k classes of any image's bytes (no collection needed). */
export async function predictNamed(bytes: Buffer, topK = 5, model?: string): Promise<NamedLabel[]> {
  const { classes } = await labeller(model);
  return nameLabels(classes, (await predictBytes(bytes, model, Math.max(topK, 1))).slice(0, topK));
}

/** Images of the collection labelled with a class matching `query` (name, word, synset). */
export async function imagesLabelled(collection: Collection, query: string): Promise<{ classes: ClassName[]; ids: number[] }> {
  const { classes } = await labeller(labelSettings(await collection.settings()).model);
  const matched = matchClasses(classes, query);
  return { classes: matched, ids: await collection.store.imagesWithClasses(matched.map((c) => c.classIndex)) };
}
