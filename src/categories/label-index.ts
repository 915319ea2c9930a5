/**
 * The inverted index category -> images, in memory. The catalogue's `labels` table is the
 * source of truth (and serves `ls --label`); a query gate needs unions of a few classes per
 * query, which a Map of sorted id lists answers in microseconds instead of a SQL round trip.
 */
import type { CatalogueStore, LabelRows } from '../store/catalogue.js';

export class LabelIndex {
  private readonly byClass = new Map<number, Int32Array>();
  readonly images: number;

  constructor(rows: LabelRows) {
    const lists = new Map<number, number[]>();
    const seen = new Set<number>();
    for (let i = 0; i < rows.imageIds.length; i++) {
      const c = rows.classIndexes[i]!;
      let list = lists.get(c);
      if (!list) lists.set(c, (list = []));
      list.push(rows.imageIds[i]!);
      seen.add(rows.imageIds[i]!);
    }
    for (const [c, list] of lists) this.byClass.set(c, Int32Array.from(list));
    this.images = seen.size;
  }

  /** Images labelled with this class. */
  imagesOf(classIndex: number): Int32Array {
    return this.byClass.get(classIndex) ?? new Int32Array(0);
  }

  /** Images labelled with any of these classes, ascending ids, each once. */
  union(classIndexes: readonly number[]): number[] {
    if (classIndexes.length === 1) return Array.from(this.imagesOf(classIndexes[0]!));
    const out = new Set<number>();
    for (const c of classIndexes) for (const id of this.imagesOf(c)) out.add(id);
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
