import path from 'node:path';
import { Option, type Command } from 'commander';
import { binaryRanker, CODE_SPACES, type CodeSpace } from '../../binary/collection-search.js';
import { Collection } from '../../collection.js';
import { DEFAULT_PRESET, PRESET_NAMES, presetRecipe } from '../../encode/recipe.js';
import { evalCollectionDir, evaluateCollection, readQueryLabels, type DatasetEval } from '../../eval/dataset.js';
import { renderTable } from '../../present/table.js';
import { encoderOptions, globalOptions, info } from '../context.js';
import { progressBar } from '../progress.js';
import type { RegisterCommand } from './registry.js';
import { comparePresets, printComparison } from '../eval-compare.js';
import { measureGate, printGate } from '../eval-gate.js';
import { parseInteger, parseNumber } from '../parse.js';
import { rerankFromFlags, rerankMethodOption, rerankTopOption, type RerankFlags } from '../rerank-options.js';
import { evalRanker, formatSplitEval, learnedSplitEval, rerankTiming } from '../rerank-eval.js';

interface EvalFlags extends RerankFlags {
  encoder: CodeSpace;
  preset?: string;
  queries?: string;
  labels?: string;
  perClass?: boolean;
  json?: boolean;
  byCategory?: boolean;
  topCategories?: number;
  categoryMass?: number;
  speedImages?: number;
  compare?: string[];
}

export function printEval(result: DatasetEval, perClass: boolean): void {
  const o = result.leaveOneOut.overall;
  const out: string[] = [
    `leave-one-out over ${result.evaluated} images in ${result.classes} classes:`,
    renderTable(['P@1', 'hits@10', 'P@10', 'mAP'], [[o.p1, o.hits10, o.p10, o.map]]),
  ];
  if (perClass) {
    out.push('', 'per class:', renderTable(['class', 'queries', 'P@1', 'hits@10', 'P@10', 'mAP'],
      result.leaveOneOut.perClass.map((c) => [c.label, c.queries, c.p1, c.hits10, c.p10, c.map])));
  }
  if (result.outside) {
    const q = result.outside;
    out.push('', `outside queries (${q.queries.length}) against the whole collection:`,
      renderTable(['query', 'class', 'hits@10', 'P@1', 'AP'], q.queries.map((e, i) => [path.basename(q.files[i]!), e.label, e.hits10, e.p1, e.ap])),
      renderTable(['P@1', 'hits@10', 'P@10', 'mAP'], [[q.overall.p1, q.overall.hits10, q.overall.p10, q.overall.map]]));
  }
  process.stdout.write(out.join('\n') + '\n');
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('eval')
    .description('measure retrieval quality on a folder of class folders (leave-one-out P@1, hits@10, P@10, mAP)')
    .argument('<folder>', 'folder whose sub-folders are the classes')
    .addOption(new Option('--preset <name>', 'descriptor recipe').choices(PRESET_NAMES))
    .option('--compare <presets>', 'evaluate several presets side by side, e.g. fast,balanced,best', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--queries <dir>', 'outside query images (not in the collection)')
    .option('--labels <tsv>', 'TSV with "file" and "label" columns for --queries')
    .option('--per-class', 'print the per-class table')
    .option('--json', 'print the full report as JSON')
    .option('--by-category', 'also measure the category gate: its recall, hits@10 with and without it, and the speed-up per query')
    .option('--top-categories <n>', '--by-category with a fixed number of the query\'s top categories', parseInteger)
    .option('--category-mass <p>', '--by-category with the query\'s categories covering this probability (default 0.9)', parseNumber)
    .option('--speed-images <n>', 'collection size (real + synthetic) for the --by-category speed-up', parseInteger, 100_000)
    .addOption(new Option('--encoder <codes>', 'rank by the recipe\'s float codes, CNN-ITQ bits or autoencoder bits (train them first)').choices(CODE_SPACES).default('recipe'))
    .addOption(rerankMethodOption())
    .addOption(rerankTopOption())
    .action(async (folder: string, flags: EvalFlags, command: Command) => {
      const opts = globalOptions(command);
      if (flags.compare) {
        for (const name of flags.compare) presetRecipe(name);
        const queries = flags.labels ? await readQueryLabels(flags.labels, flags.queries) : undefined;
        const rows = await comparePresets(folder, flags.compare, queries, opts);
        if (flags.json) process.stdout.write(JSON.stringify({ folder: path.resolve(folder), presets: rows }, null, 2) + '\n');
        else printComparison(rows);
        return;
      }
      const recipe = presetRecipe(flags.preset ?? DEFAULT_PRESET);
      const rerank = rerankFromFlags(flags);
      // A cache collection per folder and recipe: a second eval of the same set is instant.
      const dir = opts.collection ? path.resolve(opts.collection) : evalCollectionDir(folder, recipe);
      const collection = await Collection.open(dir, { create: true, encoder: encoderOptions(opts) });
      const bar = progressBar('embedding', !opts.quiet);
      try {
        if (flags.byCategory) await collection.updateSettings({ labels: true });
        await collection.index(folder, {
          recipe,
          onPlan: (p) => { if (p.toProcess > 0) bar.start(p.toProcess); },
          onProgress: (p) => bar.update(p.done, { rate: p.rate.toFixed(1) }),
        });
        bar.stop();
        const queries = flags.labels ? await readQueryLabels(flags.labels, flags.queries) : undefined;
        info(opts, `collection ${dir} (${recipe.name})`);
        const timing = rerankTiming();
        const ranker = flags.encoder !== 'recipe' ? binaryRanker(collection, flags.encoder)
          : rerank && rerank.method !== 'learned' ? evalRanker(collection, rerank, queries, timing) : undefined;
        const result = await evaluateCollection(collection, { ...(queries ? { queries } : {}), ...(ranker ? { ranker } : {}) });
        // `learned` is graded on classes it was not trained on: see rerank/learned/split-eval.ts.
        const split = rerank?.method === 'learned' ? await learnedSplitEval(collection, rerank, (m) => info(opts, m)) : undefined;
        const reranked = ranker && rerank ? { ...rerank, addedMsPerQuery: timing.medianMs() } : undefined;
        const gate = flags.byCategory ? await measureGate(collection, { ...(flags.topCategories !== undefined ? { topCategories: flags.topCategories } : {}), ...(flags.categoryMass !== undefined ? { categoryMass: flags.categoryMass } : {}) }, flags.speedImages ?? 100_000) : undefined;
        if (flags.json) process.stdout.write(JSON.stringify({ folder: path.resolve(folder), recipe, ...result, ...(gate ? { gate } : {}), ...(reranked ? { rerank: reranked } : {}), ...(split ? { learnedSplit: { ...split, split: { trainClasses: split.split.trainClasses, testClasses: split.split.testClasses } } } : {}) }, null, 2) + '\n');
        else {
          printEval(result, flags.perClass ?? false);
          if (gate) printGate(gate);
          if (reranked) process.stdout.write(`re-ranked the top ${reranked.topN} with ${reranked.method}: +${reranked.addedMsPerQuery.toFixed(1)} ms per query (median)\n`);
          if (split) process.stdout.write(`\n${formatSplitEval(split)}\n`);
        }
      } finally {
        bar.stop();
        await collection.close();
      }
    });
};
