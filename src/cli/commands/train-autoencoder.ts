/**
 * `simili train autoencoder`: train the denoising convolutional autoencoder on the
 * collection's own images, store its weights and every image's bit code with the
 * collection, and write a sample sheet (original / noisy / reconstructed) as PNG.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { trainCollectionAutoencoder } from '../../binary/autoencoder/collection-train.js';
import { writeSampleSheet } from '../../binary/autoencoder/sample-sheet.js';
import type { AutoencoderSpec } from '../../binary/autoencoder/network.js';
import type { NoiseKind } from '../../binary/autoencoder/noise.js';
import { renderTable } from '../../present/table.js';
import { invalidParameter } from '../../errors.js';
import { integerInRange, numberInRange } from '../../validate.js';
import { globalOptions, info, openCollection } from '../context.js';
import { parseInteger, parseNumber } from '../parse.js';
import { progressBar } from '../progress.js';
import { trainCommand, type RegisterCommand } from './registry.js';

interface Flags {
  size: number;
  bits: number;
  hidden: string;
  epochs: number;
  batch: number;
  lr: number;
  noise: NoiseKind;
  noiseLevel: number;
  heldOut: number;
  patience: number;
  threads?: number;
  seed: number;
  sheet: string;
  json?: boolean;
}

function parseHidden(value: string): [number, number, number] {
  const sizes = value.split(',').map((s) => Number(s.trim()));
  if (sizes.length !== 3 || !sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= 1024)) {
    throw invalidParameter('--hidden', 'three comma-separated channel counts between 1 and 1024', value);
  }
  return sizes as [number, number, number];
}

function specOf(flags: Flags): AutoencoderSpec {
  integerInRange('--size', flags.size, 16, 512);
  if (flags.size % 16 !== 0) throw invalidParameter('--size', 'a multiple of 16', flags.size);
  const cells = (flags.size / 16) ** 2;
  if (!Number.isInteger(flags.bits) || flags.bits % 32 !== 0 || flags.bits % cells !== 0) {
    throw invalidParameter('--bits', `a multiple of 32 and of ${cells} (code cells at --size ${flags.size})`, flags.bits);
  }
  return { size: flags.size, hidden: parseHidden(flags.hidden), codeChannels: flags.bits / cells };
}

export const register: RegisterCommand = (program: Command) => {
  trainCommand(program)
    .command('autoencoder')
    .description('train the denoising conv autoencoder on the collection (bit codes for `search --encoder autoencoder`)')
    .option('--size <px>', 'input side (centre crop, multiple of 16)', parseInteger, 64)
    .option('--bits <n>', 'code length in bits', parseInteger, 256)
    .option('--hidden <c1,c2,c3>', 'channels of the three hidden encoder layers', '16,32,64')
    .option('--epochs <n>', 'most epochs (early stopping may end sooner)', parseInteger, 30)
    .option('--batch <n>', 'mini-batch size', parseInteger, 32)
    .option('--lr <rate>', 'Adam learning rate', parseNumber, 5e-3)
    .addOption(new Option('--noise <kind>', 'input corruption').choices(['gaussian', 'mask']).default('gaussian'))
    .option('--noise-level <x>', 'gaussian: std dev on [0,1] pixels; mask: fraction of pixels zeroed', parseNumber, 0.1)
    .option('--held-out <fraction>', 'images held out for early stopping', parseNumber, 0.1)
    .option('--patience <n>', 'epochs without held-out improvement before stopping', parseInteger, 3)
    .option('--threads <n>', 'threads computing gradients (default: up to 2)', parseInteger)
    .option('--seed <n>', 'random seed', parseInteger, 1)
    .option('--sheet <file>', 'sample sheet PNG (original / noisy / reconstructed)', 'autoencoder-samples.png')
    .option('--json', 'print the training history as JSON')
    .action(async (flags: Flags, command: Command) => {
      const opts = globalOptions(command);
      const spec = specOf(flags);
      integerInRange('--epochs', flags.epochs, 1, 10_000);
      integerInRange('--batch', flags.batch, 1, 4096);
      numberInRange('--lr', flags.lr, 1e-7, 1);
      numberInRange('--noise-level', flags.noiseLevel, 0, 1);
      numberInRange('--held-out', flags.heldOut, 0, 0.9);
      const collection = await openCollection(opts);
      const bar = progressBar('training', !opts.quiet, 'step');
      let barEpoch = 0;
      let epochStarted = 0;
      try {
        const started = performance.now();
        const noise = { kind: flags.noise, level: flags.noiseLevel };
        const result = await trainCollectionAutoencoder(collection, {
          spec,
          epochs: flags.epochs,
          batchSize: flags.batch,
          learningRate: flags.lr,
          noise,
          heldOut: flags.heldOut,
          patience: flags.patience,
          seed: flags.seed,
          ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
          onStage: (m) => info(opts, m),
          onProgress: (p) => {
            if (p.epoch !== barEpoch) {
              if (barEpoch !== 0) bar.stop();
              barEpoch = p.epoch;
              epochStarted = performance.now();
              bar.start(p.steps);
            }
            bar.update(p.step, { rate: (p.step / Math.max(1e-3, (performance.now() - epochStarted) / 1000)).toFixed(2) });
            if (p.epochStats) {
              bar.stop();
              barEpoch = 0;
              const e = p.epochStats;
              info(opts, `epoch ${e.epoch}/${p.epochs}: train MSE ${e.trainMse.toFixed(4)}, held-out MSE ${e.heldOutMse.toFixed(4)} ` +
                `(from bits ${e.heldOutHardMse.toFixed(4)}), ${e.seconds.toFixed(1)} s`);
            }
          },
        });
        const { thumbnails } = result;
        const sheet = path.resolve(flags.sheet);
        const picks = Array.from({ length: Math.min(8, thumbnails.ids.length) }, (_, i) => Math.floor((i * thumbnails.ids.length) / Math.min(8, thumbnails.ids.length)));
        await writeSampleSheet(sheet, result.model, thumbnails.thumbs, picks, noise);
        const seconds = (performance.now() - started) / 1000;
        if (flags.json) {
          process.stdout.write(JSON.stringify({ training: result.model.training, history: result.history, sheet, failed: thumbnails.failed, seconds }, null, 2) + '\n');
        } else {
          process.stdout.write(renderTable(['epoch', 'train MSE', 'held-out MSE', 'held-out MSE from bits', 'seconds'],
            result.history.map((e) => [e.epoch, e.trainMse.toFixed(4), e.heldOutMse.toFixed(4), e.heldOutHardMse.toFixed(4), e.seconds.toFixed(1)])) + '\n');
        }
        for (const f of thumbnails.failed) info(opts, `skipped ${f.path}: ${f.error}`);
        const t = result.model.training!;
        info(opts, `${t.images} images, ${result.codes.bits}-bit codes, best epoch ${t.bestEpoch} of ${t.epochs}${result.stoppedEarly ? ' (stopped early)' : ''}, ` +
          `${seconds.toFixed(1)} s; model and codes saved in ${collection.dir}, sample sheet ${sheet}`);
      } finally {
        bar.stop();
        await collection.close();
      }
    });
};
