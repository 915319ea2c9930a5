/**
 * The inverted index category -> images, in memory. The catalogue's `labels` table is the
 * source of truth (and serves `ls --label`); a query gate needs unions of a few classes per
 * query, which a Map of sorted id lists answers in microseconds instead of a SQL round trip.
 *
 * Two scopes: 'all' lists an image under every stored label (explicit filters, the fixed
 * top-N gate); 'confident' only under its most probable labels covering `imageMass` of the
 * probability (the default gate), so a sure "goldfish" is not also filed under a 3 % "tench".
 */
import type { CatalogueStore, LabelRows } from '../store/catalogue.js';
import { DEFAULT_CATEGORY_MASS } from './gate.js';

export type LabelScope = 'all' | 'confident';

function toArrays(lists: Map<number, number[]>): Map<number, Int32Array> {
  return new Map([...lists].map(([c, list]) => [c, Int32Array.from(list)]));
}

export class LabelIndex {
  private readonly byClass: Record<LabelScope, Map<number, Int32Array>>;
  readonly images: number;

  /** @param rows grouped by image, most probable label first (as the stores return them) */
  constructor(rows: LabelRows, imageMass = DEFAULT_CATEGORY_MASS) {
    const all = new Map<number, number[]>();
    const confident = new Map<number, number[]>();
    const push = (lists: Map<number, number[]>, c: number, id: number): void => {
      let list = lists.get(c);
      if (!list) lists.set(c, (list = []));
      list.push(id);
    };
    let images = 0;
    let current = -1;
    let mass = 0;
    for (let i = 0; i < rows.imageIds.length; i++) {
      const id = rows.imageIds[i]!;
      const c = rows.classIndexes[i]!;
      if (id !== current) {
        current = id;
        mass = 0;
        images++;
      }
      push(all, c, id);
      // The label that reaches the mass is still included; later ones are not.
      if (mass < imageMass) push(confident, c, id);
      mass += rows.probabilities[i]!;
    }
    this.byClass = { all: toArrays(all), confident: toArrays(confident) };
    this.images = images;
  }

  /** Images labelled with this class. */
  imagesOf(classIndex: number, scope: LabelScope = 'all'): Int32Array {
    return this.byClass[scope].get(classIndex) ?? new Int32Array(0);
  }

  /** Images labelled with any of these classes, ascending ids, each once. */
  union(classIndexes: readonly number[], scope: LabelScope = 'all'): number[] {
    if (classIndexes.length === 1) return Array.from(this.imagesOf(classIndexes[0]!, scope));
    const out = new Set<number>();
    for (const c of classIndexes) for (const id of this.imagesOf(c, scope)) out.add(id);
    return [...out].sort((a, b) => a - b);
  }
}

const cache = new WeakMap<CatalogueStore, { generation: number; index: LabelIndex }>();

/** The store's label index, rebuilt only when the catalogue changed. */
export async function labelIndexOf(store: CatalogueStore): Promise<LabelIndex> {
  const generation = await store.generation();
  const hit = cache.get(store);
  if (hit && hit.generation === generation) return hit.index;
  const index = new LabelIndex(await store.loadLabels());
  cache.set(store, { generation, index });
  return index;
}
