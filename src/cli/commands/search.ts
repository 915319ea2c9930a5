import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { CODE_SPACES, type CodeSpace } from '../../binary/collection-search.js';
import type { Collection, QueryInput, SearchOptions, SearchResult } from '../../collection.js';
import { isUrl } from '../../indexing/scan.js';
import { makeThumbnail, renderHtml } from '../../present/html.js';
import { renderTable } from '../../present/table.js';
import { labelsOfImages } from '../../categories/describe.js';
import { globalOptions, info, openCollection } from '../context.js';
import { parseInteger, parseNumber } from '../parse.js';
import type { RegisterCommand } from './registry.js';
import { rerankFromFlags, rerankMethodOption, rerankTopOption, type RerankFlags } from '../rerank-options.js';

interface SearchFlags extends RerankFlags {
  encoder: CodeSpace;
  k: number;
  threshold?: number;
  id?: number;
  json?: boolean;
  html?: string;
  byCategory?: boolean;
  topCategories?: number;
  categoryMass?: number;
  category?: string;
  showLabels?: boolean;
  addQuery?: boolean;
  exact?: boolean;
}

/** One line on stderr saying what the category gate did. */
function describeGate(gate: NonNullable<SearchResult['gate']>): string {
  const names = gate.categories.map((c) => (c.probability !== undefined ? `${c.name} ${c.probability.toFixed(2)}` : c.name)).join(', ');
  if (gate.mode === 'explicit') return `category filter ${names}: ${gate.candidates} candidates`;
  if (gate.everything) return `category gate (${names}) kept too few images: widened to the whole collection`;
  return `category gate ${names}: ${gate.candidates} candidates${gate.widened ? ' (widened to more categories)' : ''}`;
}

/** A query is a file, a URL, or (with --id) an image already in the collection. */
export function queryInput(query: string | undefined, id: number | undefined): QueryInput {
  if (id !== undefined) return { id };
  if (!query) throw new Error('give a query image (file or URL), or --id <n> for an image of the collection');
  return isUrl(query) ? { url: query } : { path: path.resolve(query) };
}

export async function writeHtml(collection: Collection, query: QueryInput, result: SearchResult, file: string): Promise<void> {
  const queryBytes = 'path' in query ? await fs.readFile(query.path)
    : 'id' in query ? await collection.readImage(result.query.label)
    : 'buffer' in query ? query.buffer : null;
  const hits = await Promise.all(result.hits.map(async (h) => ({
    rank: h.rank,
    label: h.path,
    score: h.similarity ?? h.score,
    href: h.location,
    thumbnail: (await collection.thumbnail(h.id)) ?? (await collection.readImage(h.path).then(makeThumbnail, () => null)),
  })));
  const recipe = await collection.recipe();
  const html = renderHtml({
    title: `simili: ${path.basename(result.query.label)}`,
    subtitle: `${result.scanned} images scanned with ${recipe?.name ?? '?'} (${recipe?.models.join('+') || recipe?.kind}) in ${result.timings.searchMs.toFixed(1)} ms`,
    query: { label: result.query.label, thumbnail: queryBytes ? await makeThumbnail(queryBytes) : null },
    hits,
  });
  await fs.writeFile(file, html);
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('search')
    .description('print the images of the collection most similar to a query image, best first')
    .argument('[query]', 'query image: a file or an http(s) URL')
    .option('-k, --k <n>', 'how many results', parseInteger, 10)
    .option('--threshold <score>', 'drop results whose codes have cosine similarity below this with the query (-1..1)', parseNumber)
    .option('--id <n>', 'query by an image already in the collection (its id from --json or ls)', parseInteger)
    .option('--json', 'print results as JSON')
    .option('--html <file>', 'also write a self-contained HTML page with the query and its top-k')
    .option('--by-category', 'compare only with images sharing the query\'s predicted ImageNet categories (needs index --labels)')
    .option('--top-categories <n>', 'a fixed number of the query\'s top categories opens the gate (default: those covering 90 % of the probability)', parseInteger)
    .option('--category-mass <p>', 'the query\'s categories until their probabilities sum to p (0.01..1, default 0.9)', parseNumber)
    .option('--category <name>', 'only images labelled with this class: a name, a word of one ("turtle"), or a synset id')
    .option('--show-labels', 'print each result\'s predicted labels')
    .option('--add-query', 'also add the query image to the collection (after searching)')
    .option('--exact', 'scan every code (default: the approximate index above 50,000 images, see docs/scaling.md)')
    .addOption(new Option('--encoder <codes>', 'which codes to search: the recipe\'s float codes, CNN-ITQ bits (train itq) or autoencoder bits (train autoencoder)').choices(CODE_SPACES).default('recipe'))
    .addOption(rerankMethodOption())
    .addOption(rerankTopOption())
    .action(async (query: string | undefined, flags: SearchFlags, command: Command) => {
      const opts = globalOptions(command);
      const collection = await openCollection(opts);
      try {
        const input = queryInput(query, flags.id);
        const rerank = rerankFromFlags(flags);
        const options: SearchOptions = {
          k: flags.k,
          ...(rerank ? { rerank } : {}),
          ...(flags.threshold !== undefined ? { threshold: flags.threshold } : {}),
          ...(flags.byCategory || flags.topCategories !== undefined || flags.categoryMass !== undefined ? { byCategory: true } : {}),
          ...(flags.topCategories !== undefined ? { topCategories: flags.topCategories } : {}),
          ...(flags.categoryMass !== undefined ? { categoryMass: flags.categoryMass } : {}),
          ...(flags.category !== undefined ? { category: flags.category } : {}),
          ...(flags.addQuery ? { addQuery: true } : {}),
          ...(flags.exact ? { exact: true } : {}),
          ...(flags.encoder !== 'recipe' ? { encoder: flags.encoder } : {}),
        };
        const result = await collection.search(input, options);
        const labels = flags.showLabels ? await labelsOfImages(collection, result.hits.map((h) => h.id)) : null;
        if (flags.json) process.stdout.write(JSON.stringify(labels ? { ...result, hits: result.hits.map((h) => ({ ...h, labels: labels.get(h.id) ?? [] })) } : result, null, 2) + '\n');
        else if (result.hits.length === 0) info(opts, 'no results');
        else {
          // The similarity of the codes; a re-ranker's score too when it set the order. The
          // first stage's own score (cosine in the DBA/expanded space) would read 1.0000 down the list.
          const reranked = result.timings.rerankMs !== undefined;
          const headers = ['rank', 'similarity', ...(reranked ? ['score'] : []), 'id', 'image', ...(labels ? ['labels'] : [])];
          process.stdout.write(renderTable(headers, result.hits.map((h) => [h.rank, (h.similarity ?? h.score).toFixed(4), ...(reranked ? [h.score.toFixed(4)] : []), h.id, h.location,
            ...(labels ? [(labels.get(h.id) ?? []).slice(0, 3).map((l) => `${l.name} ${l.probability.toFixed(2)}`).join('; ')] : [])])) + '\n');
        }
        if (result.gate) info(opts, describeGate(result.gate));
        if (result.added) info(opts, `query added to the collection as ${result.added.paths.join(', ')}${result.added.failed.length ? ` (failed: ${result.added.failed[0]!.error})` : ''}`);
        info(opts, `${result.scanned} images scanned; encode ${result.timings.encodeMs.toFixed(0)} ms, search ${result.timings.searchMs.toFixed(1)} ms${result.timings.rerankMs !== undefined ? `, re-rank ${result.timings.rerankMs.toFixed(1)} ms` : ''}`);
        if (flags.html) {
          await writeHtml(collection, input, result, flags.html);
          info(opts, `wrote ${flags.html}`);
        }
      } finally {
        await collection.close();
      }
    });
};
