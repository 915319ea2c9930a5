/**
 * Near-duplicate groups: every image asks for its few nearest neighbours above a similarity
 * threshold, and the pairs found are joined into groups (union-find). Memory stays linear in
 * the collection: no all-pairs matrix, only k neighbours per image.
 */

export interface DuplicateGroup {
  /** Image ids, the group's first-indexed image first. */
  ids: number[];
  /** Lowest similarity of the pairs that joined the group. */
  minScore: number;
}

export type NeighbourSource = (id: number, k: number, threshold: number) => Promise<Array<{ id: number; score: number }>>;

class UnionFind {
  private readonly parent = new Map<number, number>();

  find(x: number): number {
    let root = x;
    while (this.parent.has(root) && this.parent.get(root) !== root) root = this.parent.get(root)!;
    // Path compression keeps later finds O(1)-ish.
    while (x !== root) {
      const next = this.parent.get(x) ?? root;
      this.parent.set(x, root);
      x = next;
    }
    return root;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(Math.max(ra, rb), Math.min(ra, rb));
  }
}

export async function findDuplicateGroups(
  ids: readonly number[],
  neighbours: NeighbourSource,
  options: { threshold: number; k?: number; onProgress?: (done: number, total: number) => void },
): Promise<DuplicateGroup[]> {
  const k = options.k ?? 10;
  const uf = new UnionFind();
  const lowest = new Map<string, number>();
  const pairs: Array<[number, number, number]> = [];
  for (const [i, id] of ids.entries()) {
    for (const n of await neighbours(id, k, options.threshold)) {
      if (n.id === id || n.score < options.threshold) continue;
      uf.union(id, n.id);
      pairs.push([id, n.id, n.score]);
    }
    if (i % 256 === 0 || i === ids.length - 1) options.onProgress?.(i + 1, ids.length);
  }
  const members = new Map<number, number[]>();
  for (const id of ids) {
    const root = uf.find(id);
    const list = members.get(root) ?? [];
    list.push(id);
    members.set(root, list);
  }
  for (const [a, , score] of pairs) {
    const root = String(uf.find(a));
    lowest.set(root, Math.min(lowest.get(root) ?? 1, score));
  }
  return [...members.entries()]
    .filter(([, list]) => list.length > 1)
    .map(([root, list]) => ({ ids: list.sort((a, b) => a - b), minScore: lowest.get(String(root)) ?? 1 }))
    .sort((a, b) => b.ids.length - a.ids.length || a.ids[0]! - b.ids[0]!);
}
