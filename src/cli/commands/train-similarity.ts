/**
 * `simili train similarity`: train the pair-scoring MLP the `learned` re-ranker uses, save it
 * with the collection, print per-epoch losses and the held-out accuracy, plot the curves.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { SIMILARITY_BLOB, serializeModel } from '../../rerank/learned/model.js';
import { plotLosses } from '../../rerank/learned/plot.js';
import { TARGET_SOURCES, trainSimilarity, type TargetSource } from '../../rerank/learned/train-collection.js';
import { renderTable } from '../../present/table.js';
import { invalidParameter } from '../../errors.js';
import { integerInRange, numberInRange } from '../../validate.js';
import { globalOptions, info, openCollection } from '../context.js';
import { parseInteger, parseNumber } from '../parse.js';
import { trainCommand, type RegisterCommand } from './registry.js';

interface TrainFlags {
  targets: TargetSource;
  pairs: number;
  epochs: number;
  hidden: string;
  batch: number;
  lr: number;
  seed: number;
  plot: string;
  json?: boolean;
}

function parseHidden(value: string): number[] {
  const sizes = value.split(',').map((s) => Number(s.trim()));
  if (sizes.length < 1 || sizes.length > 2 || !sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= 4096)) {
    throw invalidParameter('--hidden', '1 or 2 comma-separated layer sizes between 1 and 4096', value);
  }
  return sizes;
}

export const register: RegisterCommand = (program: Command) => {
  trainCommand(program)
    .command('similarity')
    .description('train the pair-scoring network used by `search --rerank learned` (saved with the collection)')
    .addOption(new Option('--targets <source>', 'supervised = same class folder is similar; unsupervised = augmentation + SSIM/Euclidean targets').choices(TARGET_SOURCES).default('auto'))
    .option('--pairs <n>', 'training pairs to mine', parseInteger, 4000)
    .option('--epochs <n>', 'passes over the pairs', parseInteger, 5)
    .option('--hidden <sizes>', 'hidden layer sizes, e.g. 32 or 64,32', '32')
    .option('--batch <n>', 'mini-batch size', parseInteger, 32)
    .option('--lr <rate>', 'Adam learning rate', parseNumber, 1e-3)
    .option('--seed <n>', 'random seed (pairs, split, initialisation)', parseInteger, 1)
    .option('--plot <file>', 'loss curves PNG', 'similarity-loss.png')
    .option('--json', 'print the training history as JSON')
    .action(async (flags: TrainFlags, command: Command) => {
      const opts = globalOptions(command);
      integerInRange('--epochs', flags.epochs, 1, 1000);
      integerInRange('--batch', flags.batch, 1, 4096);
      numberInRange('--lr', flags.lr, 1e-7, 1);
      const hidden = parseHidden(flags.hidden);
      const collection = await openCollection(opts);
      try {
        const started = performance.now();
        const result = await trainSimilarity(collection, {
          targets: flags.targets,
          pairs: flags.pairs,
          epochs: flags.epochs,
          hidden,
          batchSize: flags.batch,
          learningRate: flags.lr,
          seed: flags.seed,
          onStage: (m) => info(opts, m),
          onEpoch: (e) => info(opts, `epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)} (acc ${(e.trainAccuracy * 100).toFixed(1)} %), held-out loss ${e.valLoss.toFixed(4)} (acc ${(e.valAccuracy * 100).toFixed(1)} %)`),
        });
        await collection.store.setBlob(SIMILARITY_BLOB, serializeModel(result.model));
        const plot = path.resolve(flags.plot);
        await plotLosses(result.training, plot);
        const seconds = (performance.now() - started) / 1000;
        if (flags.json) {
          process.stdout.write(JSON.stringify({ info: result.model.info, epochs: result.training.epochs, plot, seconds }, null, 2) + '\n');
        } else {
          process.stdout.write(renderTable(['epoch', 'train loss', 'train acc', 'held-out loss', 'held-out acc'],
            result.training.epochs.map((e) => [e.epoch, e.trainLoss.toFixed(4), e.trainAccuracy.toFixed(3), e.valLoss.toFixed(4), e.valAccuracy.toFixed(3)])) + '\n');
        }
        info(opts, `${result.model.info.targets} targets, ${result.model.info.pairs} pairs, ${result.model.net.parameterCount()} weights, ` +
          `held-out accuracy ${(result.model.info.heldOutAccuracy * 100).toFixed(1)} %, ${seconds.toFixed(1)} s; model saved in ${collection.dir}, curves in ${plot}`);
      } finally {
        await collection.close();
      }
    });
};
