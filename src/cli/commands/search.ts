import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Collection, QueryInput, SearchOptions, SearchResult } from '../../collection.js';
import { isUrl } from '../../indexing/scan.js';
import { makeThumbnail, renderHtml } from '../../present/html.js';
import { renderTable } from '../../present/table.js';
import { globalOptions, info, openCollection } from '../context.js';
import { parseInteger, parseNumber } from '../parse.js';
import type { RegisterCommand } from './registry.js';

interface SearchFlags {
  k: number;
  threshold?: number;
  id?: number;
  json?: boolean;
  html?: string;
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
    score: h.score,
    href: h.location,
    thumbnail: await collection.readImage(h.path).then(makeThumbnail, () => null),
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
    .option('--threshold <score>', 'drop results with cosine similarity below this (-1..1)', parseNumber)
    .option('--id <n>', 'query by an image already in the collection (its id from --json or ls)', parseInteger)
    .option('--json', 'print results as JSON')
    .option('--html <file>', 'also write a self-contained HTML page with the query and its top-k')
    .action(async (query: string | undefined, flags: SearchFlags, command: Command) => {
      const opts = globalOptions(command);
      const collection = await openCollection(opts);
      try {
        const input = queryInput(query, flags.id);
        const options: SearchOptions = { k: flags.k, ...(flags.threshold !== undefined ? { threshold: flags.threshold } : {}) };
        const result = await collection.search(input, options);
        if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        else if (result.hits.length === 0) info(opts, 'no results');
        else {
          process.stdout.write(renderTable(['rank', 'score', 'id', 'image'], result.hits.map((h) => [h.rank, h.score.toFixed(4), h.id, h.location])) + '\n');
        }
        info(opts, `${result.scanned} images scanned; encode ${result.timings.encodeMs.toFixed(0)} ms, search ${result.timings.searchMs.toFixed(1)} ms`);
        if (flags.html) {
          await writeHtml(collection, input, result, flags.html);
          info(opts, `wrote ${flags.html}`);
        }
      } finally {
        await collection.close();
      }
    });
};
