import { Option, type Command } from 'commander';
import { PRESET_NAMES, presetRecipe } from '../../encode/recipe.js';
import type { IndexSummary } from '../../collection.js';
import { globalOptions, info, openCollection, warn, type GlobalOptions } from '../context.js';
import type { Collection } from '../../collection.js';
import { watchFolder } from '../../live/watch.js';
import { EXIT } from '../exit-codes.js';
import { progressBar } from '../progress.js';
import { parseInteger } from '../parse.js';
import type { RegisterCommand } from './registry.js';
import { queueDispatch } from '../../queue/enqueue.js';

interface IndexFlags {
  preset?: string;
  reindex?: boolean;
  batchSize: number;
  maxPixels?: number;
  json?: boolean;
  labels?: boolean;
  thumbnails?: boolean;
  grey?: boolean;
  watch?: boolean;
  queue?: string;
  filesPerJob: number;
}

export function printSummary(s: IndexSummary, quiet: boolean): void {
  if (quiet) return;
  const lines = [
    `${s.aborted ? 'interrupted' : 'done'} in ${s.seconds.toFixed(1)} s: ${s.indexed} indexed` +
      (s.deduplicated ? ` (${s.deduplicated} identical to another file)` : '') +
      `, ${s.unchanged} unchanged, ${s.removed} removed, ${s.failed.length} failed`,
  ];
  for (const f of s.failed.slice(0, 20)) lines.push(`  failed  ${f.path}: ${f.error}`);
  if (s.failed.length > 20) lines.push(`  ... and ${s.failed.length - 20} more (simili ls --failed)`);
  if (s.aborted) lines.push('run `simili index` again to resume where it stopped');
  process.stderr.write(lines.join('\n') + '\n');
}

/** `index --watch`: one line per change on stderr until Ctrl-C. */
async function watchUntilInterrupted(collection: Collection, folder: string, opts: GlobalOptions, signal: AbortSignal): Promise<void> {
  const watcher = watchFolder(collection, folder, {
    onEvent: (e) => {
      if (e.type === 'synced') {
        const s = e.summary;
        if (s.indexed + s.removed + s.failed.length > 0) info(opts, `${new Date().toISOString()} ${s.indexed} indexed, ${s.removed} removed, ${s.failed.length} failed`);
      } else if (e.type === 'waiting') info(opts, `waiting for ${e.files.length} file(s) to finish being written`);
      else if (e.type === 'root-missing') warn(`${e.root} is gone; waiting for it to come back (nothing is removed meanwhile)`);
      else if (e.type === 'root-back') info(opts, `${e.root} is back`);
      else warn(e.message);
    },
  });
  await watcher.ready;
  info(opts, `watching ${folder} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await watcher.close();
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('index')
    .description('embed every image under a folder into the collection (incremental: only new or changed files)')
    .argument('<folder>', 'folder of images (searched recursively)')
    .addOption(new Option('--preset <name>', 'descriptor recipe for a new collection').choices(PRESET_NAMES))
    .option('--reindex', 're-encode everything (needed to change the preset of an existing collection)')
    .option('--batch-size <n>', 'images per inference batch', parseInteger, 16)
    .option('--max-pixels <n>', 'refuse images with more pixels than this (decompression-bomb guard)', parseInteger)
    .option('--json', 'print the run summary as JSON on stdout')
    .option('--labels', 'also store each image\'s top ImageNet classes (kept in the collection\'s settings)')
    .option('--no-thumbnails', 'do not store small previews (kept in the collection\'s settings)')
    .option('--no-grey', 'do not store the greyscale copies SSIM re-ranking reads, 16 kB per image (re-ranking then decodes the images; kept in the settings)')
    .option('--watch', 'after indexing, keep following the folder: new, changed, moved and deleted files')
    .option('--queue <url>', 'encode on `simili worker` processes: put jobs on this Redis queue (redis://host:port) and wait for them')
    .option('--files-per-job <n>', 'with --queue: images per queue job', parseInteger, 8)
    .action(async (folder: string, flags: IndexFlags, command: Command) => {
      const opts = globalOptions(command);
      const collection = await openCollection(opts, { create: true });
      const controller = new AbortController();
      const onSigint = (): void => {
        if (controller.signal.aborted) process.exit(EXIT.interrupted);
        info(opts, '\nstopping after the current batch (Ctrl-C again to quit now)...');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      const bar = progressBar('indexing', !opts.quiet);
      // A large collection's HNSW graph takes minutes (an hour at 10M) after encoding: it gets its own bar.
      const graphBar = progressBar('search graph', !opts.quiet);
      let graphTotal = -1;
      let graphStarted = 0;
      try {
        if (flags.labels) await collection.updateSettings({ labels: true });
        if (flags.thumbnails === false) await collection.updateSettings({ thumbnails: false });
        if (flags.grey === false) await collection.updateSettings({ grey: false });
        if (flags.watch) {
          await watchUntilInterrupted(collection, folder, opts, controller.signal);
          return;
        }
        const summary = await collection.index(folder, {
          ...(flags.preset ? { recipe: presetRecipe(flags.preset) } : {}),
          reindex: flags.reindex ?? false,
          batchSize: flags.batchSize,
          ...(flags.maxPixels !== undefined ? { maxPixels: flags.maxPixels } : {}),
          signal: controller.signal,
          ...(flags.queue ? {
            dispatch: queueDispatch({
              queue: flags.queue,
              storeLocation: collection.store.location,
              filesPerJob: flags.filesPerJob,
              signal: controller.signal,
              onProgress: (p) => bar.update(p.done, { rate: p.rate.toFixed(1) }),
            }),
          } : {}),
          onPlan: (plan) => {
            info(opts, `${plan.total} images found in ${folder}: ${plan.toProcess} to index, ${plan.unchanged} unchanged, ${plan.removed} removed`);
            if (plan.toProcess > 0) bar.start(plan.toProcess);
          },
          onProgress: (p) => bar.update(p.done, { rate: p.rate.toFixed(1) }),
          onGraphProgress: (p) => {
            if (p.phase === 'scan') return;
            if (p.total !== graphTotal) {
              bar.stop();
              graphTotal = p.total;
              graphStarted = performance.now();
              graphBar.start(p.total);
            }
            graphBar.update(p.done, { rate: (p.done / Math.max(1e-3, (performance.now() - graphStarted) / 1000)).toFixed(0) });
          },
        });
        bar.stop();
        graphBar.stop();
        printSummary(summary, opts.quiet ?? false);
        if (flags.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        const inf = await collection.info();
        info(opts, `collection ${inf.dir}: ${inf.indexed} images, ${inf.encoderId}`);
        process.exitCode = summary.aborted ? EXIT.interrupted : summary.failed.length > 0 ? EXIT.partial : EXIT.ok;
      } finally {
        bar.stop();
        graphBar.stop();
        process.off('SIGINT', onSigint);
        await collection.close();
      }
    });
};
