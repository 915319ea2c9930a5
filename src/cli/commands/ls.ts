import type { Command } from 'commander';
import { imagesLabelled, labelsOfImages, type NamedLabel } from '../../categories/describe.js';
import type { ImageRecord } from '../../store/catalogue.js';
import { renderTable } from '../../present/table.js';
import { globalOptions, info, openCollection } from '../context.js';
import { parseInteger } from '../parse.js';
import type { RegisterCommand } from './registry.js';

interface LsFlags {
  label?: string;
  failed?: boolean;
  labels?: boolean;
  limit?: number;
  json?: boolean;
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('ls')
    .description('list the images of the collection (by predicted class with --label, failures with --failed)')
    .option('--label <class>', 'only images labelled with this class: a name, any word of one ("turtle"), or a synset id')
    .option('--failed', 'only images that could not be indexed, with the reason')
    .option('--labels', 'also print each image\'s stored labels')
    .option('--limit <n>', 'at most this many', parseInteger)
    .option('--json', 'print as JSON')
    .action(async (flags: LsFlags, command: Command) => {
      const opts = globalOptions(command);
      const collection = await openCollection(opts);
      try {
        let records: ImageRecord[];
        if (flags.label !== undefined) {
          const { classes, ids } = await imagesLabelled(collection, flags.label);
          if (classes.length === 0) info(opts, `no ImageNet class matches "${flags.label}"`);
          else info(opts, `${ids.length} images labelled ${classes.map((c) => c.names[0]).join(' | ')}`);
          records = (await collection.store.getImages(ids)).filter((r) => !flags.failed || r.status === 'failed');
        } else {
          records = await collection.images(flags.failed ? { status: 'failed' } : {});
        }
        if (flags.limit !== undefined) records = records.slice(0, Math.max(0, flags.limit));
        const labels = flags.labels || flags.label !== undefined ? await labelsOfImages(collection, records.map((r) => r.id)) : new Map<number, NamedLabel[]>();
        if (flags.json) {
          process.stdout.write(JSON.stringify(records.map((r) => ({ ...r, ...(labels.has(r.id) ? { labels: labels.get(r.id) } : {}) })), null, 2) + '\n');
          return;
        }
        const rows = records.map((r) => [
          r.id,
          r.status,
          r.path,
          r.status === 'failed' ? `${r.errorCode}: ${r.error}` : (labels.get(r.id) ?? []).slice(0, 3).map((l) => `${l.name} ${l.probability.toFixed(2)}`).join('; '),
        ]);
        if (rows.length > 0) process.stdout.write(renderTable(['id', 'status', 'image', flags.failed ? 'reason' : 'labels'], rows) + '\n');
        info(opts, `${rows.length} images`);
      } finally {
        await collection.close();
      }
    });
};
