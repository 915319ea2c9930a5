import type { Command } from 'commander';
import { globalOptions, info, openCollection } from '../context.js';
import { parseInteger, parseNumber } from '../parse.js';
import { progressBar } from '../progress.js';
import type { RegisterCommand } from './registry.js';

export const register: RegisterCommand = (program: Command) => {
  program
    .command('duplicates')
    .description('list groups of near-duplicate images in the collection (identical files included)')
    .option('--threshold <score>', 'cosine similarity at or above which two images are duplicates', parseNumber, 0.95)
    .option('--neighbours <n>', 'neighbours examined per image', parseInteger, 10)
    .option('--json', 'print the groups as JSON')
    .action(async (flags: { threshold: number; neighbours: number; json?: boolean }, command: Command) => {
      const opts = globalOptions(command);
      const collection = await openCollection(opts);
      const bar = progressBar('comparing', !opts.quiet);
      try {
        let started = false;
        const groups = await collection.duplicates({
          threshold: flags.threshold,
          k: flags.neighbours,
          onProgress: (done, total) => {
            if (!started) bar.start(total);
            started = true;
            bar.update(done, { rate: '' });
          },
        });
        bar.stop();
        if (flags.json) {
          process.stdout.write(JSON.stringify(groups.map((g) => ({ minScore: g.minScore, images: g.images.map((i) => ({ id: i.id, path: i.path })) })), null, 2) + '\n');
        } else {
          for (const [n, g] of groups.entries()) {
            process.stdout.write(`group ${n + 1} (${g.ids.length} images, similarity >= ${g.minScore.toFixed(3)})\n`);
            for (const img of g.images) process.stdout.write(`  ${img.id}\t${img.path}\n`);
          }
        }
        info(opts, `${groups.length} groups, ${groups.reduce((s, g) => s + g.ids.length, 0)} images`);
      } finally {
        bar.stop();
        await collection.close();
      }
    });
};
