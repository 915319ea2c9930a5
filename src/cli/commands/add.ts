import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { SimiliError } from '../../errors.js';
import { globalOptions, info, openCollection } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { parseInteger } from '../parse.js';
import { progressBar } from '../progress.js';
import type { RegisterCommand } from './registry.js';

interface AddFlags {
  from?: string;
  timeout?: number;
  maxBytes?: number;
  retries?: number;
  json?: boolean;
}

/** One path or URL per line; blank lines and # comments are skipped. */
async function readList(file: string): Promise<string[]> {
  const text = await fs.readFile(file, 'utf8').catch((err: Error) => {
    throw new SimiliError('NOT_FOUND', `Cannot read ${file}: ${err.message}`);
  });
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('add')
    .description('add images (files, folders or http(s) URLs) to the collection in place, without re-indexing')
    .argument('[items...]', 'image files, folders, or URLs')
    .option('--from <file>', 'also add every path or URL listed in this file (one per line)')
    .option('--timeout <ms>', 'per-download timeout for URLs', parseInteger)
    .option('--max-bytes <n>', 'refuse downloads larger than this', parseInteger)
    .option('--retries <n>', 'retries for transient download failures', parseInteger)
    .option('--json', 'print the summary as JSON')
    .action(async (items: string[], flags: AddFlags, command: Command) => {
      const opts = globalOptions(command);
      const all = [...items, ...(flags.from ? await readList(flags.from) : [])];
      if (all.length === 0) throw new SimiliError('INVALID_PARAMETER', 'give images or URLs to add, or --from <file>');
      const collection = await openCollection(opts, { create: true });
      const bar = progressBar('adding', !opts.quiet && all.length > 1);
      try {
        bar.start(all.length);
        const summary = await collection.add(all, {
          fetch: {
            ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout } : {}),
            ...(flags.maxBytes !== undefined ? { maxBytes: flags.maxBytes } : {}),
            ...(flags.retries !== undefined ? { retries: flags.retries } : {}),
          },
          onProgress: (p) => bar.update(p.done, { rate: p.rate.toFixed(1) }),
        });
        bar.stop();
        if (flags.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        info(opts, `${summary.indexed} added${summary.deduplicated ? ` (${summary.deduplicated} identical to an image already known)` : ''}, ${summary.failed.length} failed`);
        for (const f of summary.failed) info(opts, `  failed  ${f.path}: ${f.error}`);
        process.exitCode = summary.failed.length > 0 ? EXIT.partial : EXIT.ok;
      } finally {
        bar.stop();
        await collection.close();
      }
    });
};
