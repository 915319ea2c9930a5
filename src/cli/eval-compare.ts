/**
 * `simili eval <folder> --compare fast,balanced,best`: the same leave-one-out protocol for
 * several presets, side by side. Each preset keeps its own cached collection, so a second
 * comparison only evaluates.
 */
import { Collection } from '../collection.js';
import { presetRecipe } from '../encode/recipe.js';
import { evalCollectionDir, evaluateCollection, type LabelledQuery } from '../eval/dataset.js';
import { renderTable, type Cell } from '../present/table.js';
import { encoderOptions, info, type GlobalOptions } from './context.js';
import { progressBar } from './progress.js';

export interface CompareRow {
  preset: string;
  p1: number;
  hits10: number;
  p10: number;
  map: number;
  outside: string;
  /** Images per second of the indexing run, when this comparison had to index. */
  indexRate: number | null;
}

export async function comparePresets(folder: string, presets: readonly string[], queries: LabelledQuery[] | undefined, opts: GlobalOptions): Promise<CompareRow[]> {
  const rows: CompareRow[] = [];
  for (const name of presets) {
    const recipe = presetRecipe(name);
    const collection = await Collection.open(evalCollectionDir(folder, recipe), { create: true, encoder: encoderOptions(opts) });
    const bar = progressBar(`embedding (${name})`, !opts.quiet);
    try {
      const summary = await collection.index(folder, {
        recipe,
        onPlan: (p) => { if (p.toProcess > 0) bar.start(p.toProcess); },
        onProgress: (p) => bar.update(p.done, { rate: p.rate.toFixed(1) }),
      });
      bar.stop();
      const result = await evaluateCollection(collection, { ...(queries ? { queries } : {}) });
      const o = result.leaveOneOut.overall;
      rows.push({
        preset: name, p1: o.p1, hits10: o.hits10, p10: o.p10, map: o.map,
        outside: result.outside ? result.outside.queries.map((q) => q.hits10).join('/') : '-',
        indexRate: summary.indexed > 0 ? summary.indexed / summary.seconds : null,
      });
      info(opts, `${name}: done`);
    } finally {
      bar.stop();
      await collection.close();
    }
  }
  return rows;
}

export function printComparison(rows: readonly CompareRow[]): void {
  const table: Cell[][] = rows.map((r) => [r.preset, r.p1, r.hits10, r.p10, r.map, r.outside, r.indexRate === null ? 'cached' : r.indexRate.toFixed(1)]);
  process.stdout.write(renderTable(['preset', 'P@1', 'hits@10', 'P@10', 'mAP', 'outside hits@10', 'index img/s'], table) + '\n');
}
