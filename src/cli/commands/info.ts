import type { Command } from 'commander';
import type { SearchStatus } from '../../search/ann-searcher.js';
import { globalOptions, openCollection } from '../context.js';
import type { RegisterCommand } from './registry.js';

/** One line on how searches are answered: a photographer at 60,000 photos wants to know. */
export function describeSearch(s: SearchStatus | null): string {
  if (!s) return '-';
  const n = (x: number): string => x.toLocaleString('en-US');
  if (s.mode === 'scan') return `exact scan of every code (approximate search from ${n(s.threshold)} indexed images)`;
  if (s.mode === 'store') return 'the store\'s HNSW index (pgvector), candidates re-scored exactly';
  const graph = `HNSW graph (${s.settings.quantisation})`;
  const g = s.graph;
  if (!g) return `${graph}, not built yet: the next index or search builds it`;
  const size = `${n(g.vectors)} vectors, ${(g.bytes / 2 ** 20).toFixed(0)} MiB`;
  if (g.unfinished) return `${graph}, ${size} so far: the build was interrupted, the next index or search goes on`;
  if (!g.current) return `${graph}, ${size}, behind the catalogue: the next index or search updates it`;
  return `${graph}, ${size}, up to date`;
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('info')
    .description('show the collection: where it is, its root folder, recipe and counts')
    .option('--json', 'print as JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const collection = await openCollection(globalOptions(command));
      try {
        const i = await collection.info();
        if (flags.json) process.stdout.write(JSON.stringify(i, null, 2) + '\n');
        else {
          process.stdout.write([
            `collection  ${i.dir}`,
            `root        ${i.root ?? '-'}`,
            `recipe      ${i.recipe?.name ?? '-'} (${i.encoderId ?? '-'}), ${i.dim ?? '?'} dimensions`,
            `images      ${i.indexed} indexed, ${i.failed} failed`,
            `search      ${describeSearch(i.search)}`,
          ].join('\n') + '\n');
        }
      } finally {
        await collection.close();
      }
    });
};
